//! The rows of index.html for an item's fields, written without the template engine: they
//! are written once per item message (100,000 times for 100,000 items), and rendering
//! `export/fields.html` through minijinja each time took about 0.2 s of privacyd's 2.5 s of
//! CPU for such an export (issue 14, §6). Used only while that template is privacyd's own
//! ([`crate::templates::Templates::default_export_fields`]); an operator's own is rendered.

use std::io::{self, Write};

use minijinja::HtmlEscape;

/// Writes `fields` (name, value) exactly as the default `export/fields.html` renders them:
/// one `<tr><th>name</th><td>value</td></tr>` row each, HTML-escaped as minijinja escapes a
/// `.html` template's output ([`HtmlEscape`]: `<`, `>`, `&`, `"`, `'` and `/`), with its
/// indentation.
pub fn write<'a>(out: &mut impl Write, fields: impl IntoIterator<Item = (&'a str, &'a str)>) -> io::Result<()> {
    out.write_all(b"    ")?;
    for (name, value) in fields {
        write!(out, "<tr><th>{}</th><td>{}</td></tr>\n    ", HtmlEscape(name), HtmlEscape(value))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use crate::templates::Templates;

    fn written(fields: &[(String, String)]) -> String {
        let mut out = Vec::new();
        super::write(&mut out, fields.iter().map(|(n, v)| (n.as_str(), v.as_str()))).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn rendered(fields: &[(String, String)]) -> String {
        static TEMPLATES: std::sync::LazyLock<Templates> = std::sync::LazyLock::new(|| Templates::load(None).unwrap());
        TEMPLATES.export_fragment("fields").unwrap().render(minijinja::context! { fields => fields }).unwrap()
    }

    #[test]
    fn no_fields_and_markup_in_fields() {
        assert_eq!(written(&[]), rendered(&[]));
        let fields = [
            ("<b>Name</b>".to_owned(), "O'Brien & \"Sons\" </td><script>x</script>".to_owned()),
            ("Ünïcødé ✓".to_owned(), "line\nbreak\ttab\u{0}".to_owned()),
            ("a/b".to_owned(), "plain, as most values are".to_owned()),
        ];
        assert_eq!(written(&fields), rendered(&fields));
    }

    proptest! {
        /// Whatever a source sends, the bytes are the template's.
        #[test]
        fn the_same_bytes_as_the_default_template(fields in proptest::collection::vec((".{0,12}", ".{0,40}"), 0..6)) {
            prop_assert_eq!(written(&fields), rendered(&fields));
        }

        /// Text made mostly of what is escaped, and of text that needs none.
        #[test]
        fn the_same_bytes_with_markup(fields in proptest::collection::vec(("[<>&\"'/aé ]{0,12}", "[<>&\"'/x✓ ]{0,40}"), 0..6)) {
            prop_assert_eq!(written(&fields), rendered(&fields));
        }
    }
}
