//! Helpers shared by the CLI's integration tests.
#![allow(dead_code)] // each test binary uses a different subset

pub mod bed;
pub mod parquet_rows;
