//! Escaping for markup: HTML content and quoted attribute values, and the SVG
//! (XML) the HTML embeds. Both renderers write DNS-derived text (TXT content,
//! host names) and sector names, which are attacker-controlled.

/// Escapes text for HTML or SVG content and quoted attribute values. Control
/// characters other than newline and tab, which XML forbids, become U+FFFD.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if let Some(e) = entity(c) {
            out.push_str(e);
        } else if c.is_control() && c != '\n' && c != '\t' {
            out.push('\u{FFFD}');
        } else {
            out.push(c);
        }
    }
    out
}

/// The entity of a character that markup gives a meaning to in text and in
/// quoted attribute values.
pub(crate) fn entity(c: char) -> Option<&'static str> {
    Some(match c {
        '&' => "&amp;",
        '<' => "&lt;",
        '>' => "&gt;",
        '"' => "&quot;",
        '\'' => "&#39;",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape("<script>alert(1)</script>"),
            "&lt;script&gt;alert(1)&lt;/script&gt;"
        );
        assert_eq!(escape("a\"b'c&d"), "a&quot;b&#39;c&amp;d");
        assert_eq!(escape("x\u{0}y"), "x\u{FFFD}y");
    }
}
