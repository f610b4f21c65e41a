//! What text the shop takes in: nothing that garbles a terminal or hides what it says.
//!
//! Names, subjects, channels and codes are one line of plain text. A customer's name with a
//! U+202E (right-to-left override) in it would reach every agent's terminal reversed, and
//! an escape character could repaint it; both are refused where the text comes in. Longer
//! text (a message body, a note) may have line breaks and tabs, and nothing else of the
//! kind.

/// How a piece of text may be laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Names, subjects, channels, codes, reasons: no line breaks, no tabs.
    Line,
    /// Message bodies, replies, notes: line breaks and tabs allowed.
    MultiLine,
}

/// A character that may not be in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TextRefusal {
    #[error("holds the control character U+{:04X}; send plain text", *.0 as u32)]
    Control(char),
    #[error(
        "holds U+{:04X}, which reorders or hides text when shown; send plain text",
        *.0 as u32
    )]
    Bidi(char),
    #[error("holds U+{:04X}, which shows as nothing; send plain text", *.0 as u32)]
    Invisible(char),
}

/// Checks text against its layout; the first character that may not be there is named.
pub fn check(text: &str, layout: Layout) -> Result<(), TextRefusal> {
    for c in text.chars() {
        let allowed_control = layout == Layout::MultiLine && matches!(c, '\n' | '\r' | '\t');
        if c.is_control() && !allowed_control {
            return Err(TextRefusal::Control(c));
        }
        if reorders(c) || (layout == Layout::Line && is_direction_mark(c)) {
            return Err(TextRefusal::Bidi(c));
        }
        if layout == Layout::Line && is_invisible(c) {
            return Err(TextRefusal::Invisible(c));
        }
    }
    Ok(())
}

/// Text to show on one line, as it came (a field name in an error, a value quoted back):
/// whatever [`check`] would refuse in a line is written out as `\u{…}`, so quoting what a
/// client sent cannot reach a terminal as a control or bidi character.
pub fn shown_in_a_line(text: &str) -> String {
    let mut shown = String::with_capacity(text.len());
    for c in text.chars() {
        if check(c.encode_utf8(&mut [0; 4]), Layout::Line).is_ok() {
            shown.push(c);
        } else {
            shown.push_str(&format!("\\u{{{:04x}}}", c as u32));
        }
    }
    shown
}

/// Bidi embeddings, overrides and isolates: they turn the text after them around.
pub fn reorders(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Characters that show as nothing, or as a blank that is not a space: `W-50123` with a
/// zero-width space after it looks like an order number it is not, and a name of fillers
/// looks like no name. Joiners (U+200C, U+200D) stay: Persian and Indic names need them.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{180E}'
            | '\u{200B}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{2060}'..='\u{2064}'
            | '\u{3164}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF9}'..='\u{FFFB}'
    )
}

/// Direction marks: harmless in right-to-left prose, never needed in a name or a code.
fn is_direction_mark(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_plain_text() {
        assert_eq!(check("Camille Dubois-Ørsted 陳", Layout::Line), Ok(()));
        assert_eq!(
            check("Erika\u{202E}nnamretsuM", Layout::Line),
            Err(TextRefusal::Bidi('\u{202E}'))
        );
        assert_eq!(
            check("A\u{1b}[2J", Layout::Line),
            Err(TextRefusal::Control('\u{1b}'))
        );
        assert_eq!(
            check("two\nlines", Layout::Line),
            Err(TextRefusal::Control('\n'))
        );
        assert_eq!(
            check("mark\u{200F}", Layout::Line),
            Err(TextRefusal::Bidi('\u{200F}'))
        );
        assert_eq!(
            check("C1\u{85}", Layout::Line),
            Err(TextRefusal::Control('\u{85}'))
        );
    }

    #[test]
    fn quoted_text_shows_what_it_holds() {
        assert_eq!(shown_in_a_line("plain 陳"), "plain 陳");
        assert_eq!(
            shown_in_a_line("a\u{1b}[2J\u{202E}b\n"),
            "a\\u{001b}[2J\\u{202e}b\\u{000a}"
        );
    }

    #[test]
    fn a_line_shows_all_it_holds() {
        for c in ['\u{200B}', '\u{FEFF}', '\u{2028}', '\u{3164}', '\u{00AD}'] {
            assert_eq!(
                check(&format!("W-50123{c}"), Layout::Line),
                Err(TextRefusal::Invisible(c))
            );
        }
        assert_eq!(
            check("می\u{200C}خواهم", Layout::Line),
            Ok(()),
            "Persian keeps its joiner"
        );
        assert_eq!(check("zero\u{200B}width", Layout::MultiLine), Ok(()));
    }

    #[test]
    fn longer_text_may_have_lines_and_tabs_but_no_overrides() {
        assert_eq!(
            check("Hello,\r\n\tthe mug broke.", Layout::MultiLine),
            Ok(())
        );
        assert_eq!(check("שלום\u{200F} world", Layout::MultiLine), Ok(()));
        assert_eq!(
            check("ok\u{2067}evil", Layout::MultiLine),
            Err(TextRefusal::Bidi('\u{2067}'))
        );
        assert_eq!(
            check("bell\u{7}", Layout::MultiLine),
            Err(TextRefusal::Control('\u{7}'))
        );
    }
}
