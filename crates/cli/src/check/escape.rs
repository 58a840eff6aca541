//! Text from DNS made safe for a terminal.
//!
//! A TXT record is whatever its publisher put there: control characters,
//! ANSI escape sequences (`ESC [ … m` recolours, `ESC ] … BEL` retitles, some
//! terminals accept far worse), bidirectional overrides that make text read
//! differently from what it is (CVE-2021-42574), or kilobytes of text.
//! Every string from DNS that `check` prints in text form goes through
//! [`escape`]; JSON output goes through [`json_line`]. Nothing from DNS
//! reaches a terminal as a control character.
//!
//! What is escaped, so that the output stays unambiguous:
//! * `\` as `\\`;
//! * C0 controls, DEL and C1 controls (U+0080–U+009F; U+009B is a one-byte
//!   CSI to some terminals) as `\xNN`, except tab, newline and carriage
//!   return, which read as `\t`, `\n`, `\r`;
//! * invisible format characters that change how text reads (bidi marks,
//!   embeddings, overrides and isolates, zero-width characters, the BOM,
//!   line and paragraph separators) as `\u{XXXX}`.
//!
//! Text longer than a limit is cut, at a character boundary, and the cut is
//! marked with the number of bytes in all.

use std::fmt::Write as _;

/// The most characters of one DNS string that the text output shows: more
/// than any sane record, far less than a 4 kB hostile one.
pub const MAX_SHOWN: usize = 512;

/// True for the format characters escaped besides controls: they are
/// invisible and change how the text around them reads.
fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
    )
}

/// True for a character that [`escape`] rewrites (a backslash aside).
pub fn needs_escape(c: char) -> bool {
    c.is_control() || is_invisible_format(c)
}

/// `text` escaped (see the module docs) and cut after `max_chars`
/// characters with a marker saying how long it was.
pub fn escape_cut(text: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_chars * 4) + 16);
    for (shown, c) in text.chars().enumerate() {
        if shown == max_chars {
            let _ = write!(out, "… [cut: {} bytes in all]", text.len());
            return out;
        }
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c if is_invisible_format(c) => {
                let _ = write!(out, "\\u{{{:04x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

/// `text` escaped and cut at [`MAX_SHOWN`] characters.
pub fn escape(text: &str) -> String {
    escape_cut(text, MAX_SHOWN)
}

/// A serialised JSON value made safe for a terminal without changing its
/// value: serde_json already writes C0 controls, `"` and `\` as escapes;
/// DEL, C1 controls and the invisible format characters are written as
/// `\uXXXX` too. (Such characters can only occur inside JSON strings, where
/// `\uXXXX` means the same character.)
pub fn json_line(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if needs_escape(c) {
            // Outside the BMP only by mistake: none of these are.
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// No byte a terminal treats as a control survives: ESC (0x1b), BEL,
    /// C1 in UTF-8 (0xc2 0x80–0x9f), DEL.
    fn assert_inert(text: &str) {
        for c in text.chars() {
            assert!(!needs_escape(c), "{c:?} left in {text:?}");
        }
        let bytes = text.as_bytes();
        assert!(!bytes.contains(&0x1b), "{text:?}");
        assert!(!bytes.contains(&0x7f), "{text:?}");
        assert!(
            !bytes
                .windows(2)
                .any(|w| w[0] == 0xc2 && (0x80..=0x9f).contains(&w[1])),
            "{text:?}"
        );
    }

    #[test]
    fn escape_table() {
        let cases = [
            ("v=spf1 -all", "v=spf1 -all"),
            ("a\\b", "a\\\\b"),
            ("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"),
            ("\x1b]0;owned\x07", "\\x1b]0;owned\\x07"),
            ("tab\tnl\ncr\r", "tab\\tnl\\ncr\\r"),
            ("nul\0del\x7f", "nul\\x00del\\x7f"),
            ("c1 csi \u{9b}31m", "c1 csi \\x9b31m"),
            ("rlo \u{202e}gnp.exe", "rlo \\u{202e}gnp.exe"),
            ("zw\u{200b}sp bom\u{feff}", "zw\\u{200b}sp bom\\u{feff}"),
            ("ls\u{2028}ps\u{2029}", "ls\\u{2028}ps\\u{2029}"),
            ("ünïcödé ✓ xn--bcher-kva", "ünïcödé ✓ xn--bcher-kva"),
            ("replacement \u{fffd}", "replacement \u{fffd}"),
        ];
        for (input, want) in cases {
            let got = escape(input);
            assert_eq!(got, want, "{input:?}");
            assert_inert(&got);
        }
    }

    #[test]
    fn a_4k_record_is_cut_with_a_marker() {
        let long = format!("v=spf1 {}", "ip4:192.0.2.1 ".repeat(300));
        assert!(long.len() > 4000);
        let got = escape(&long);
        assert!(
            got.ends_with(&format!("… [cut: {} bytes in all]", long.len())),
            "{got}"
        );
        assert_eq!(
            got.chars().count(),
            MAX_SHOWN + "… [cut:  bytes in all]".chars().count() + long.len().to_string().len()
        );
        // Exactly the limit: not cut.
        let exact = "x".repeat(MAX_SHOWN);
        assert_eq!(escape(&exact), exact);
        // The cut lands on a character boundary, and escapes still apply.
        let wide = "\u{1b}é".repeat(MAX_SHOWN);
        let got = escape(&wide);
        assert!(got.starts_with("\\x1bé\\x1bé"));
        assert_inert(&got);
    }

    #[test]
    fn json_lines_keep_their_value_and_lose_their_controls() {
        let hostile = "\x1b[2J\u{9b}1;31m\u{7f}\u{202e}x\\\"";
        let json = serde_json::to_string(&serde_json::json!({ "record": hostile })).unwrap();
        let safe = json_line(&json);
        assert_inert(&safe);
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back["record"], hostile);
    }
}
