//! A row as a JSON object keyed by the Parquet contract.
//!
//! `mailcensus check --format json` prints, for each domain, the row a scan
//! would write. So that its keys and values are the Parquet's by
//! construction, [`row_object`] pushes the [`Row`] through the same
//! [`BatchBuilder`] the writer encodes, and [`batch_objects`] reads each
//! column of the record batch back by its contract type ([`COLUMNS`]): the
//! same names, in file order, the same labels, the same nulls.
//!
//! | contract type | JSON |
//! | --- | --- |
//! | `utf8` | string |
//! | `int32` | number |
//! | `bool` | `true` / `false` |
//! | `timestamp(ms, UTC)` | RFC 3339 string with milliseconds, `2026-11-23T09:30:00.123Z` |
//! | `list<utf8>`, `list<uint8>` | array of strings, of numbers |
//! | null | `null` |

use arrow_array::cast::AsArray;
use arrow_array::types::{Int32Type, TimestampMillisecondType, UInt8Type};
use arrow_array::{Array, RecordBatch};
use arrow_schema::ArrowError;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};

use crate::error::{Result, StoreError, cause};
use crate::row::{BatchBuilder, Row};
use crate::schema::{COLUMNS, Column, ColumnType};

/// One row's columns in file order; serialises as a JSON object whose keys
/// keep that order (a `serde_json::Map` would sort them).
#[derive(Debug, Clone, PartialEq)]
pub struct RowObject {
    /// Column name and value, in file order.
    pub columns: Vec<(&'static str, Value)>,
}

impl RowObject {
    /// The value of the column named `name`.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.columns
            .iter()
            .find(|(column, _)| *column == name)
            .map(|(_, value)| value)
    }

    /// The columns as a map, for comparisons.
    pub fn into_map(self) -> Map<String, Value> {
        self.columns
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value))
            .collect()
    }
}

impl Serialize for RowObject {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.columns.len()))?;
        for (name, value) in &self.columns {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

/// The JSON object of the row a scan with `scan_id` writes for `row`.
pub fn row_object(row: &Row, scan_id: &str) -> Result<RowObject> {
    let mut builder = BatchBuilder::new(scan_id);
    builder.push(row);
    let batch = builder.finish()?;
    let mut objects = batch_objects(&batch)?;
    objects
        .pop()
        .ok_or_else(|| mismatch("a batch of one row came back empty".to_owned()))
}

/// Every row of a record batch of the contract schema (as written, or read
/// back from a part) as a JSON object keyed by column name, in file order.
pub fn batch_objects(batch: &RecordBatch) -> Result<Vec<RowObject>> {
    let mut arrays = Vec::with_capacity(COLUMNS.len());
    for column in &COLUMNS {
        let array = batch
            .column_by_name(column.name)
            .ok_or_else(|| mismatch(format!("the batch has no column {column}")))?;
        arrays.push((column, array.as_ref()));
    }
    (0..batch.num_rows())
        .map(|row| {
            let columns = arrays
                .iter()
                .map(|(column, array)| Ok((column.name, cell(column, *array, row)?)))
                .collect::<Result<_>>()?;
            Ok(RowObject { columns })
        })
        .collect()
}

fn mismatch(message: String) -> StoreError {
    StoreError::Arrow(cause(ArrowError::InvalidArgumentError(message)))
}

fn wrong_type(column: &Column) -> StoreError {
    mismatch(format!("column {column} is not of type {}", column.ty))
}

fn cell(column: &Column, array: &dyn Array, row: usize) -> Result<Value> {
    if array.is_null(row) {
        return Ok(Value::Null);
    }
    let value = match column.ty {
        ColumnType::Utf8 => Value::from(
            array
                .as_string_opt::<i32>()
                .ok_or_else(|| wrong_type(column))?
                .value(row),
        ),
        ColumnType::Int32 => Value::from(
            array
                .as_primitive_opt::<Int32Type>()
                .ok_or_else(|| wrong_type(column))?
                .value(row),
        ),
        ColumnType::Bool => Value::from(
            array
                .as_boolean_opt()
                .ok_or_else(|| wrong_type(column))?
                .value(row),
        ),
        ColumnType::TimestampMsUtc => {
            let ms = array
                .as_primitive_opt::<TimestampMillisecondType>()
                .ok_or_else(|| wrong_type(column))?
                .value(row);
            let at = chrono::DateTime::from_timestamp_millis(ms)
                .ok_or_else(|| mismatch(format!("column {column}: {ms} ms is out of range")))?;
            Value::from(at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        }
        ColumnType::ListUtf8 => {
            let list = array
                .as_list_opt::<i32>()
                .ok_or_else(|| wrong_type(column))?
                .value(row);
            let items = list
                .as_string_opt::<i32>()
                .ok_or_else(|| wrong_type(column))?;
            Value::Array(
                items
                    .iter()
                    .map(|v| v.map_or(Value::Null, Value::from))
                    .collect(),
            )
        }
        ColumnType::ListUint8 => {
            let list = array
                .as_list_opt::<i32>()
                .ok_or_else(|| wrong_type(column))?
                .value(row);
            let items = list
                .as_primitive_opt::<UInt8Type>()
                .ok_or_else(|| wrong_type(column))?;
            Value::Array(
                items
                    .iter()
                    .map(|v| v.map_or(Value::Null, Value::from))
                    .collect(),
            )
        }
    };
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample;

    /// Every key of the contract, in file order, and nothing else.
    #[test]
    fn keys_are_the_contract_columns_in_file_order() {
        let object = row_object(&sample::row(7, "be"), "scan-1").unwrap();
        let keys: Vec<&str> = object.columns.iter().map(|(name, _)| *name).collect();
        let columns: Vec<&str> = COLUMNS.iter().map(|c| c.name).collect();
        assert_eq!(keys, columns);
        // Serialised in the same order.
        let text = serde_json::to_string(&object).unwrap();
        let positions: Vec<usize> = columns
            .iter()
            .map(|c| text.find(&format!("\"{c}\":")).unwrap())
            .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{text}");
    }

    /// The values as the contract spells them: labels, lists, nulls, the
    /// scan id and the timestamp.
    #[test]
    fn values_follow_the_contract_types() {
        for seq in 0..64 {
            let row = sample::row(seq, "be");
            let object = row_object(&row, "scan-1").unwrap().into_map();
            let p = &row.posture;
            assert_eq!(object["domain"], Value::from(row.domain.as_str()));
            assert_eq!(object["scan_id"], "scan-1");
            assert_eq!(object["resolution"], p.resolution.label());
            assert_eq!(object["ns_hosts"], serde_json::json!(row.ns_hosts));
            assert_eq!(
                object["mx_status"],
                p.mx.as_ref()
                    .map_or(Value::Null, |m| m.status.label().into())
            );
            let spf = p.spf.as_ref();
            assert_eq!(
                object["spf_lookups"],
                spf.and_then(|s| s.lookups).map_or(Value::Null, Value::from)
            );
            assert_eq!(
                object["spf_all"],
                spf.and_then(|s| s.all)
                    .map_or(Value::Null, |a| a.label().into())
            );
            let dmarc = p.dmarc.as_ref();
            assert_eq!(
                object["dmarc_rua"],
                dmarc.map_or(Value::Null, |d| serde_json::json!(d.rua))
            );
            assert_eq!(
                object["dmarc_t"],
                dmarc.and_then(|d| d.t).map_or(Value::Null, Value::from)
            );
            assert_eq!(
                object["dnssec_algorithms"],
                p.dnssec
                    .as_ref()
                    .map_or(Value::Null, |d| serde_json::json!(d.algorithms))
            );
            assert_eq!(object["parked"], p.parked);
            assert_eq!(object["queries"], row.queries);
            let at = chrono::DateTime::from_timestamp_millis(row.scanned_at_ms).unwrap();
            assert_eq!(
                object["scanned_at"],
                at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
            );
            assert!(object["scanned_at"].as_str().unwrap().ends_with('Z'));
        }
    }
}
