//! TODO(input helper): synthetic zone dumps of N delegations.
