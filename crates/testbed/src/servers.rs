//! TODO(testbed helper): start/stop Knot and Unbound on loopback for tests.
