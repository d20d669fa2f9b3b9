//! Email and page templates. The defaults are compiled in; an operator can replace any of
//! them by putting a file of the same name in `--template-dir`. Templates whose name ends in
//! `.html` are auto-escaped, so text from a request can never become markup.

use std::{path::PathBuf, sync::Arc};

use minijinja::{Environment, Value};

use crate::domain::EmailKind;

const DEFAULTS: &[(&str, &str)] = &[
    ("email/confirmation_request.subject.txt", include_str!("../templates/email/confirmation_request.subject.txt")),
    ("email/confirmation_request.txt", include_str!("../templates/email/confirmation_request.txt")),
    ("email/confirmation_request.html", include_str!("../templates/email/confirmation_request.html")),
    ("email/admin_confirmed.subject.txt", include_str!("../templates/email/admin_confirmed.subject.txt")),
    ("email/admin_confirmed.txt", include_str!("../templates/email/admin_confirmed.txt")),
    ("email/admin_confirmed.html", include_str!("../templates/email/admin_confirmed.html")),
    ("email/deadline_extended.subject.txt", include_str!("../templates/email/deadline_extended.subject.txt")),
    ("email/deadline_extended.txt", include_str!("../templates/email/deadline_extended.txt")),
    ("email/deadline_extended.html", include_str!("../templates/email/deadline_extended.html")),
    ("email/export_ready.subject.txt", include_str!("../templates/email/export_ready.subject.txt")),
    ("email/export_ready.txt", include_str!("../templates/email/export_ready.txt")),
    ("email/export_ready.html", include_str!("../templates/email/export_ready.html")),
    ("email/erasure_fulfilled.subject.txt", include_str!("../templates/email/erasure_fulfilled.subject.txt")),
    ("email/erasure_fulfilled.txt", include_str!("../templates/email/erasure_fulfilled.txt")),
    ("email/erasure_fulfilled.html", include_str!("../templates/email/erasure_fulfilled.html")),
    ("email/request_denied.subject.txt", include_str!("../templates/email/request_denied.subject.txt")),
    ("email/request_denied.txt", include_str!("../templates/email/request_denied.txt")),
    ("email/request_denied.html", include_str!("../templates/email/request_denied.html")),
    ("pages/confirm.html", include_str!("../templates/pages/confirm.html")),
    ("pages/confirm_form.html", include_str!("../templates/pages/confirm_form.html")),
    ("pages/request_form.html", include_str!("../templates/pages/request_form.html")),
    ("pages/request_sent.html", include_str!("../templates/pages/request_sent.html")),
    ("pages/status.html", include_str!("../templates/pages/status.html")),
    // index.html, in the order its fragments are written: every list (groups, an item's
    // fields, files) is written an entry at a time, so no fragment holds a whole list.
    ("export/head.html", include_str!("../templates/export/head.html")),
    ("export/contents_entry.html", include_str!("../templates/export/contents_entry.html")),
    ("export/head_end.html", include_str!("../templates/export/head_end.html")),
    ("export/group.html", include_str!("../templates/export/group.html")),
    ("export/item_start.html", include_str!("../templates/export/item_start.html")),
    ("export/fields.html", include_str!("../templates/export/fields.html")),
    ("export/item_end.html", include_str!("../templates/export/item_end.html")),
    ("export/group_end.html", include_str!("../templates/export/group_end.html")),
    ("export/files_start.html", include_str!("../templates/export/files_start.html")),
    ("export/file.html", include_str!("../templates/export/file.html")),
    ("export/tail.html", include_str!("../templates/export/tail.html")),
];

/// Every compiled-in template: emails, pages, export fragments and the console's.
fn all_defaults() -> impl Iterator<Item = &'static (&'static str, &'static str)> {
    DEFAULTS.iter().chain(crate::console::TEMPLATES.iter().flat_map(|set| set.iter()))
}

/// A rendered email.
#[derive(Debug, Clone)]
pub struct RenderedEmail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The fragment of an export's index.html rendered for every item message.
pub const EXPORT_FIELDS: &str = "export/fields.html";

/// The template set. Cheap to clone.
#[derive(Clone)]
pub struct Templates {
    env: Arc<Environment<'static>>,
    /// Whether `export/fields.html` is privacyd's own (no file in the override folder).
    default_export_fields: bool,
}

impl Templates {
    /// Loads the templates, preferring files in `override_dir`, and checks that every one of
    /// them compiles, so a broken operator template stops start-up instead of an email.
    pub fn load(override_dir: Option<PathBuf>) -> anyhow::Result<Self> {
        let default_export_fields = override_dir.as_ref().is_none_or(|dir| !dir.join(EXPORT_FIELDS).is_file());
        let mut env = Environment::new();
        env.set_loader(move |name| {
            if let Some(dir) = &override_dir {
                let path = dir.join(name);
                if path.is_file() {
                    return std::fs::read_to_string(&path).map(Some).map_err(|e| {
                        minijinja::Error::new(
                            minijinja::ErrorKind::InvalidOperation,
                            format!("reading {}: {e}", path.display()),
                        )
                    });
                }
            }
            Ok(all_defaults().find(|(n, _)| *n == name).map(|(_, body)| (*body).to_owned()))
        });
        env.add_function("csrf_field", crate::console::csrf::csrf_field);
        for (name, _) in all_defaults() {
            env.get_template(name).map_err(|e| anyhow::anyhow!("template {name}: {e}"))?;
        }
        Ok(Templates { env: Arc::new(env), default_export_fields })
    }

    pub fn render_email(&self, kind: EmailKind, context: &Value) -> Result<RenderedEmail, minijinja::Error> {
        let render = |part: &str| self.env.get_template(&format!("email/{}.{part}", kind.as_str()))?.render(context);
        Ok(RenderedEmail {
            // A subject is one line, whatever the template does with whitespace.
            subject: render("subject.txt")?.split_whitespace().collect::<Vec<_>>().join(" "),
            text: render("txt")?,
            html: render("html")?,
        })
    }

    pub fn render_page(&self, name: &str, context: &Value) -> Result<String, minijinja::Error> {
        self.env.get_template(&format!("pages/{name}"))?.render(context)
    }

    /// A console page, `templates/console/<name>` (see [`crate::console`]).
    pub fn render_console(&self, name: &str, context: &Value) -> Result<String, minijinja::Error> {
        self.env.get_template(&format!("console/{name}"))?.render(context)
    }

    /// The `'sha256-…'` sources of every `<style>` block in the page templates, for the pages'
    /// Content-Security-Policy (CSP Level 3, "hash-source"): the styles a page needs are
    /// allowed, and no other inline style is. A block holding template syntax renders
    /// differently each time and gets no hash, so an operator's template must keep its style
    /// block literal.
    pub fn page_style_hashes(&self) -> Vec<String> {
        use base64::Engine;
        use sha2::Digest;
        let mut hashes = Vec::new();
        for (name, _) in DEFAULTS.iter().filter(|(name, _)| name.starts_with("pages/")) {
            let Ok(template) = self.env.get_template(name) else { continue };
            let mut rest = template.source();
            while let Some(start) = rest.find("<style") {
                let after = &rest[start..];
                let (Some(open_end), Some(close)) = (after.find('>'), after.find("</style>")) else { break };
                if open_end < close {
                    let css = &after[open_end + 1..close];
                    if !css.contains("{{") && !css.contains("{%") {
                        let digest = sha2::Sha256::digest(css.as_bytes());
                        let hash = format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(digest));
                        if !hashes.contains(&hash) {
                            hashes.push(hash);
                        }
                    }
                }
                rest = &after[close + "</style>".len()..];
            }
        }
        hashes
    }

    /// One fragment of an export's index.html (`templates/export/<name>.html`).
    pub fn render_export(&self, name: &str, context: &Value) -> Result<String, minijinja::Error> {
        self.env.get_template(&format!("export/{name}.html"))?.render(context)
    }

    /// Whether the fragment of an export's index.html rendered for every item message
    /// (`export/fields.html`) is privacyd's own: the archive then writes that markup itself
    /// ([`crate::export::fields_html::write`]), as rendering it through minijinja 100,000
    /// times took about 0.2 s, a tenth of privacyd's CPU for the export (`perf`, issue 14
    /// §6). An operator's own is rendered as written.
    pub fn default_export_fields(&self) -> bool {
        self.default_export_fields
    }

    /// One fragment of an export's index.html, to look up once: the fragment rendered for every
    /// item message (`fields`) was looked up by a formatted name each time.
    pub fn export_fragment(&self, name: &str) -> Result<minijinja::Template<'_, '_>, minijinja::Error> {
        self.env.get_template(&format!("export/{name}.html"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped_and_text_is_not() {
        let templates = Templates::load(None).unwrap();
        let ctx = minijinja::context! {
            organization => "<script>alert(1)</script>",
            action_title => "Export", action_description => "a copy", request_id => "r",
            due_time => "d", reason => "r", subject_email => "s", confirm_url => "u", expire_time => "e",
        };
        let email = templates.render_email(EmailKind::ConfirmationRequest, &ctx).unwrap();
        assert!(!email.html.contains("<script>"));
        assert!(email.html.contains("&lt;script&gt;"));
        assert!(email.text.contains("<script>"));
        assert!(!email.subject.contains('\n'));
    }

    #[test]
    fn operator_templates_override_defaults() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("email")).unwrap();
        std::fs::write(dir.path().join("email/deadline_extended.subject.txt"), "Custom {{ organization }}").unwrap();
        let templates = Templates::load(Some(dir.path().to_owned())).unwrap();
        let email = templates
            .render_email(EmailKind::DeadlineExtended, &minijinja::context! { organization => "Acme" })
            .unwrap();
        assert_eq!(email.subject, "Custom Acme");
    }

    #[test]
    fn an_operators_export_fields_fragment_is_rendered_not_privacyds_own_markup() {
        assert!(Templates::load(None).unwrap().default_export_fields());
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("export")).unwrap();
        // Another export fragment replaced: the fields are still privacyd's own.
        std::fs::write(dir.path().join("export/tail.html"), "</body></html>").unwrap();
        assert!(Templates::load(Some(dir.path().to_owned())).unwrap().default_export_fields());
        std::fs::write(dir.path().join(EXPORT_FIELDS), "{% for f in fields %}<p>{{ f[1] }}</p>{% endfor %}").unwrap();
        let templates = Templates::load(Some(dir.path().to_owned())).unwrap();
        assert!(!templates.default_export_fields());
        let fields = [("Name", "<Jane>")];
        let html = templates.export_fragment("fields").unwrap().render(minijinja::context! { fields => fields });
        assert_eq!(html.unwrap(), "<p>&lt;Jane&gt;</p>");
    }

    #[test]
    fn console_pages_are_replaceable_and_checked_at_start() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("console")).unwrap();
        std::fs::write(dir.path().join("console/error.html"), "Custom {{ title }} {{ csrf_field() }}").unwrap();
        let templates = Templates::load(Some(dir.path().to_owned())).unwrap();
        let page = templates
            .render_console("error.html", &minijinja::context! { title => "T", csrf_token => "abc-_1" })
            .unwrap();
        assert_eq!(page, r#"Custom T <input type="hidden" name="_csrf" value="abc-_1">"#);
        // The defaults, layout included, compile and render.
        let page = Templates::load(None)
            .unwrap()
            .render_console(
                "error.html",
                &minijinja::context! { title => "T", message => "M", assets => minijinja::context! { css => "c", htmx => "h" } },
            )
            .unwrap();
        assert!(page.contains("<h1>T</h1>") && page.contains(r#"<html lang="en">"#), "{page}");
        std::fs::write(dir.path().join("console/error.html"), "{% if %}").unwrap();
        assert!(Templates::load(Some(dir.path().to_owned())).is_err());
    }

    #[test]
    fn a_broken_operator_template_stops_loading() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("pages")).unwrap();
        std::fs::write(dir.path().join("pages/confirm.html"), "{% if %}").unwrap();
        assert!(Templates::load(Some(dir.path().to_owned())).is_err());
    }
}

/// Property tests of the escaping of the export's index.html (case counts: see
/// `crate::testing::proptest_cases`).
#[cfg(test)]
mod props {
    use std::sync::LazyLock;

    use minijinja::context;
    use proptest::prelude::*;

    use super::*;

    static TEMPLATES: LazyLock<Templates> = LazyLock::new(|| Templates::load(None).expect("the defaults load"));

    /// Stands for the text in the rendering that shows the fragments' own markup: a private-use
    /// character, which no escaping touches.
    const MARKER: &str = "\u{E000}";

    /// Every fragment of index.html, with every piece of text a source or the request supplies
    /// set to `text`.
    fn fragments(text: &str) -> Vec<(&'static str, String)> {
        let list = vec![text, text];
        let category = context! {
            label => text, description => text, purposes => list, legal_basis => text,
            recipients => list, retention_period => text, origin => text,
        };
        let sources = vec![context! { name => text, categories => vec![category] }];
        let contexts = [
            (
                "head",
                context! {
                    organization => text, subject_email => text, generated => text, request_id => text,
                    sources => sources,
                },
            ),
            ("contents_entry", context! { index => 1, label => text, items => 2 }),
            ("head_end", context! { sources => sources, files => true }),
            ("group", context! { index => 1, label => text, description => text }),
            ("fields", context! { fields => vec![(text, text), (text, text)] }),
            (
                "file",
                context! {
                    href => text, path => text, sent => text, renamed => true, content_type => text, size => 1,
                },
            ),
        ];
        contexts.into_iter().map(|(name, ctx)| (name, TEMPLATES.render_export(name, &ctx).expect("renders"))).collect()
    }

    /// How often each character that can open or close a tag or a (quoted) attribute value
    /// occurs. Not the backtick, which minijinja leaves as it is: only Internet Explorer 8 and
    /// older read it as a quote, and every attribute of the templates is quoted with `"`.
    fn markup(html: &str) -> [usize; 4] {
        ['<', '>', '"', '\''].map(|c| html.matches(c).count())
    }

    /// The text a browser shows for `html`'s character references: the named ones minijinja
    /// writes and any numeric one. `None` for a reference this does not know, or a bare `&`
    /// (both would mean text was not escaped as expected).
    fn unescape(html: &str) -> Option<String> {
        let mut out = String::with_capacity(html.len());
        let mut rest = html;
        while let Some(at) = rest.find('&') {
            out.push_str(&rest[..at]);
            let end = rest[at..].find(';')? + at;
            let name = &rest[at + 1..end];
            let c = match name {
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "quot" => '"',
                _ => {
                    let number = name.strip_prefix('#')?;
                    let code = match number.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                        None => number.parse().ok()?,
                    };
                    char::from_u32(code)?
                }
            };
            out.push(c);
            rest = &rest[end + 1..];
        }
        out.push_str(rest);
        Some(out)
    }

    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("\"><script>alert(1)</script>".to_owned()),
            Just("' onmouseover='alert(1)".to_owned()),
            Just("</td></tr></table><img src=x onerror=alert(1)>".to_owned()),
            Just("&lt;b&gt; &amp;amp; &#60;".to_owned()),
            "[<>\"'`&/=;#a-z ]{1,16}",
            "\\PC{1,24}",
            any::<String>(),
        ]
        .prop_filter("text", |t| !t.is_empty() && !t.contains(MARKER))
    }

    proptest! {
        #![proptest_config(crate::testing::proptest_cases::cases(128))]

        /// Whatever the text, each fragment has exactly the markup it has with harmless text
        /// (no tag or attribute opened or closed), and the reader sees the text exactly.
        #[test]
        fn no_text_becomes_markup_and_all_of_it_is_shown(text in text()) {
            for ((name, rendered), (_, skeleton)) in fragments(&text).into_iter().zip(fragments(MARKER)) {
                prop_assert_eq!(markup(&rendered), markup(&skeleton), "{}: {}", name, rendered);
                let shown = unescape(&rendered).ok_or_else(|| TestCaseError::fail(format!("{name}: {rendered}")))?;
                let expected = unescape(&skeleton).unwrap().replace(MARKER, &text);
                prop_assert_eq!(shown, expected, "{}", name);
            }
        }
    }
}
