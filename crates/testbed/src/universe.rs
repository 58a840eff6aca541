//! TODO(testbed helper): the planted universe and its ground truth.
