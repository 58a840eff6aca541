//! The sector join: a `domain,sector[,size_class]` CSV supplied by the analyst.
//!
//! The first line is a header when its first cell is `domain`. Domains are
//! matched after lower-casing and dropping a trailing dot, as the scan writes
//! them. A later line for the same domain wins. Domains absent from the file
//! report as `unknown`.

use std::collections::HashMap;
use std::path::Path;

use crate::ReportError;

/// Domain → (sector, size class). Names are interned: a national sector file
/// lists millions of domains but only a handful of sectors.
#[derive(Debug, Clone, Default)]
pub struct SectorMap {
    map: HashMap<Box<str>, (u32, u32)>,
    names: Vec<String>,
    ids: HashMap<String, u32>,
    sizes: bool,
}

const NONE: u32 = u32::MAX;

/// Splits one CSV line (RFC 4180 quoting, no embedded newlines).
fn split_csv(line: &str) -> Vec<String> {
    let mut cells = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => cells.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    cells.push(cur);
    cells
}

impl SectorMap {
    /// Parses CSV text.
    pub fn parse(text: &str) -> Result<Self, ReportError> {
        let mut out = SectorMap::default();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() {
                continue;
            }
            let cells = split_csv(line);
            let domain = cells[0].trim().trim_end_matches('.').to_ascii_lowercase();
            if n == 0 && domain == "domain" {
                continue;
            }
            let sector = cells.get(1).map(|s| s.trim()).filter(|s| !s.is_empty());
            let Some(sector) = sector else {
                return Err(ReportError::Sectors(format!("line {}: no sector", n + 1)));
            };
            let size = cells
                .get(2)
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty());
            out.sizes |= size.is_some();
            let sector = out.intern(sector);
            let size = size.map_or(NONE, |z| out.intern(&z));
            out.map.insert(domain.into(), (sector, size));
        }
        Ok(out)
    }

    fn intern(&mut self, name: &str) -> u32 {
        if let Some(id) = self.ids.get(name) {
            return *id;
        }
        let id = u32::try_from(self.names.len()).unwrap_or(NONE - 1);
        self.names.push(name.to_string());
        self.ids.insert(name.to_string(), id);
        id
    }

    fn name(&self, id: u32) -> Option<&str> {
        usize::try_from(id)
            .ok()
            .and_then(|i| self.names.get(i))
            .map(String::as_str)
    }

    /// Reads and parses a CSV file.
    pub fn load(path: &Path) -> Result<Self, ReportError> {
        let text =
            std::fs::read_to_string(path).map_err(ReportError::io("read sector file", path))?;
        Self::parse(&text)
    }

    /// The sector and size class of `domain`.
    pub fn get(&self, domain: &str) -> (Option<&str>, Option<&str>) {
        match self.map.get(domain) {
            Some((s, z)) => (self.name(*s), self.name(*z)),
            None => (None, None),
        }
    }

    /// Whether any line gives a size class.
    pub fn has_size_classes(&self) -> bool {
        self.sizes
    }

    /// Number of domains listed.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether no domain is listed.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_header_quotes_and_optional_size() {
        let m = SectorMap::parse(
            "domain,sector,size_class\nA.example.,health,large\n\"b.example\",\"public, local\",\nc.example,finance\n",
        )
        .unwrap();
        assert_eq!(m.get("a.example"), (Some("health"), Some("large")));
        assert_eq!(m.get("b.example"), (Some("public, local"), None));
        assert_eq!(m.get("c.example"), (Some("finance"), None));
        assert_eq!(m.get("d.example"), (None, None));
        assert!(m.has_size_classes());
        assert_eq!(m.len(), 3);
    }

    #[test]
    fn a_line_without_sector_is_an_error() {
        assert!(SectorMap::parse("domain,sector\nx.example\n").is_err());
    }
}
