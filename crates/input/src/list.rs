//! Domain lists: one name per line, or CSV with a domain column.
//!
//! `#` starts a comment anywhere on a line (a domain never contains `#`). In CSV
//! the column is chosen from the first data line: a header field named
//! `domain`, `domain_name`, `name`, `host` or `hostname` selects that column
//! (and the header is skipped); otherwise a numeric first field means the
//! Tranco/Alexa `rank,domain` shape (column 1); otherwise column 0.

use std::io::{self, BufRead};

use crate::Ctx;
use crate::normalize::normalize_into;
use crate::zone::Candidate;

const HEADER_NAMES: [&str; 5] = ["domain", "domain_name", "name", "host", "hostname"];

/// Line reader for plain lists and CSV.
pub(crate) struct ListParser {
    csv: bool,
    column: Option<usize>,
    line: Vec<u8>,
    line_no: u64,
}

impl ListParser {
    pub(crate) fn new(csv: bool) -> Self {
        Self {
            csv,
            column: None,
            line: Vec::with_capacity(256),
            line_no: 0,
        }
    }

    pub(crate) fn next_candidate(
        &mut self,
        r: &mut dyn BufRead,
        ctx: &mut Ctx,
    ) -> io::Result<Option<Candidate>> {
        loop {
            self.line.clear();
            if r.read_until(b'\n', &mut self.line)? == 0 {
                return Ok(None);
            }
            self.line_no += 1;
            ctx.stats.lines += 1;
            let mut text = self.line.as_slice();
            if let Some(p) = text.iter().position(|&b| b == b'#') {
                text = &text[..p];
            }
            let text = text.trim_ascii();
            if text.is_empty() {
                continue;
            }
            let field = if self.csv {
                let column = match self.column {
                    Some(c) => c,
                    None => {
                        let (c, header) = choose_column(text);
                        self.column = Some(c);
                        if header {
                            continue;
                        }
                        c
                    }
                };
                match text.split(|&b| b == b',').nth(column) {
                    Some(f) => unquote(f.trim_ascii()),
                    None => {
                        ctx.malformed(self.line_no, "CSV line has no domain column");
                        continue;
                    }
                }
            } else {
                text
            };
            ctx.stats.records += 1;
            if field.iter().any(u8::is_ascii_whitespace) {
                ctx.malformed(self.line_no, "more than one field on a list line");
                continue;
            }
            let mut name = String::new();
            // A list names registered domains: a bare TLD is not one (zone
            // input gets the same from its depth below the apex).
            let checked = normalize_into(field, &mut name).and_then(|()| {
                if name.contains('.') {
                    Ok(())
                } else {
                    Err(crate::Reject::SingleLabel)
                }
            });
            match checked {
                Ok(()) => {
                    return Ok(Some(Candidate {
                        name,
                        ns_hosts: Vec::new(),
                        line: self.line_no,
                    }));
                }
                Err(why) => ctx.rejected(self.line_no, field, why),
            }
        }
    }
}

fn unquote(f: &[u8]) -> &[u8] {
    f.strip_prefix(b"\"")
        .and_then(|f| f.strip_suffix(b"\""))
        .unwrap_or(f)
}

/// Column index of the domain, and whether `first` is a header line.
fn choose_column(first: &[u8]) -> (usize, bool) {
    let fields: Vec<&[u8]> = first
        .split(|&b| b == b',')
        .map(|f| unquote(f.trim_ascii()))
        .collect();
    for (i, f) in fields.iter().enumerate() {
        if HEADER_NAMES
            .iter()
            .any(|h| h.as_bytes().eq_ignore_ascii_case(f))
        {
            return (i, true);
        }
    }
    let numeric_first = fields
        .first()
        .is_some_and(|f| !f.is_empty() && f.iter().all(u8::is_ascii_digit));
    if fields.len() >= 2 && numeric_first {
        (1, false)
    } else {
        (0, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_table() {
        let cases: &[(&str, (usize, bool))] = &[
            ("1,google.com", (1, false)),
            ("rank,domain", (1, true)),
            ("\"Domain\",rank", (0, true)),
            ("example.com,42", (0, false)),
            ("example.com", (0, false)),
        ];
        for (line, want) in cases {
            assert_eq!(choose_column(line.as_bytes()), *want, "{line}");
        }
    }
}
