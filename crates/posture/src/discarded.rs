//! How an `*_error` column names the TXT records a selection discarded
//! (look-alikes of SPF or DMARC): short and printable whatever was published.

/// How much of a discarded record is quoted, in characters.
const EXCERPT_CHARS: usize = 40;
/// How many discarded records are quoted.
const EXCERPTS: usize = 3;

/// `"<lead>: N TXT record(s) discarded<why>: "excerpt", …"`: the count, then
/// the start of the first few records, escaped.
pub(crate) fn describe(lead: &str, why: &str, discarded: &[String]) -> String {
    let mut quoted: Vec<String> = discarded
        .iter()
        .take(EXCERPTS)
        .map(|text| {
            let cut: String = text.chars().take(EXCERPT_CHARS).collect();
            let more = if cut.len() < text.len() { "…" } else { "" };
            format!("\"{}{more}\"", cut.escape_debug())
        })
        .collect();
    if discarded.len() > EXCERPTS {
        quoted.push("…".to_owned());
    }
    let n = discarded.len();
    format!(
        "{lead}: {n} TXT record{} discarded{why}: {}",
        if n == 1 { "" } else { "s" },
        quoted.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_few_records_short_and_escaped() {
        let records = vec![
            "v=spf10 mx -all".to_owned(),
            "\u{1b}[31mred".to_owned(),
            "x".repeat(100),
            "fourth".to_owned(),
        ];
        let text = describe("no record", " (why)", &records);
        assert!(
            text.starts_with("no record: 4 TXT records discarded (why): "),
            "{text}"
        );
        assert!(!text.contains('\u{1b}'), "{text}");
        assert!(!text.contains("fourth"), "{text}");
        assert!(text.ends_with(", …"), "{text}");
        assert!(text.contains(&format!("\"{}…\"", "x".repeat(40))), "{text}");
        let one = describe("no record", "", &records[..1]);
        assert_eq!(
            one,
            "no record: 1 TXT record discarded: \"v=spf10 mx -all\""
        );
    }
}
