//! Reads a scan's Parquet parts back as JSON objects, one per row, so tests can
//! compare them with the planted ground truth (`truth.jsonl`) column by column.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use arrow_array::cast::AsArray;
use arrow_array::types::{Int32Type, TimestampMillisecondType, UInt8Type};
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::{Map, Value};

/// Every complete part below `dir` (the store's layout), sorted by path.
pub fn part_files(dir: &Path) -> Vec<PathBuf> {
    let mut parts = Vec::new();
    for (_, partition) in mailcensus_store::layout::partitions(dir).unwrap() {
        parts.extend(mailcensus_store::layout::part_files(&partition).unwrap());
    }
    parts.sort();
    parts
}

/// All rows of all parts below `dir`, as JSON objects keyed by column name.
pub fn read_rows(dir: &Path) -> Vec<Map<String, Value>> {
    let mut rows = Vec::new();
    for part in part_files(dir) {
        let file = File::open(&part).unwrap();
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)
            .unwrap()
            .build()
            .unwrap();
        for batch in reader {
            rows.extend(batch_rows(&batch.unwrap()));
        }
    }
    rows
}

/// Rows keyed by their `domain` column; panics on a duplicate domain, since a
/// scan must write every domain exactly once.
pub fn rows_by_domain(rows: Vec<Map<String, Value>>) -> BTreeMap<String, Map<String, Value>> {
    let mut by_domain = BTreeMap::new();
    for row in rows {
        let domain = row[mailcensus_store::schema::DOMAIN.name]
            .as_str()
            .unwrap()
            .to_string();
        assert!(
            by_domain.insert(domain.clone(), row).is_none(),
            "domain {domain} written twice"
        );
    }
    by_domain
}

fn batch_rows(batch: &RecordBatch) -> Vec<Map<String, Value>> {
    let schema = batch.schema();
    (0..batch.num_rows())
        .map(|row| {
            schema
                .fields()
                .iter()
                .enumerate()
                .map(|(col, field)| (field.name().clone(), cell(batch.column(col), row)))
                .collect()
        })
        .collect()
}

fn cell(array: &dyn Array, row: usize) -> Value {
    if array.is_null(row) {
        return Value::Null;
    }
    match array.data_type() {
        DataType::Utf8 => Value::from(array.as_string::<i32>().value(row)),
        DataType::Int32 => Value::from(array.as_primitive::<Int32Type>().value(row)),
        DataType::UInt8 => Value::from(array.as_primitive::<UInt8Type>().value(row)),
        DataType::Boolean => Value::from(array.as_boolean().value(row)),
        DataType::Timestamp(_, _) => {
            Value::from(array.as_primitive::<TimestampMillisecondType>().value(row))
        }
        DataType::List(_) => {
            let list = array.as_list::<i32>().value(row);
            Value::Array((0..list.len()).map(|i| cell(&list, i)).collect())
        }
        other => panic!("column type {other} not expected in the contract"),
    }
}
