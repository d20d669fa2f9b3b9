//! The export's index.html: whatever text a source sends (group labels, field names and values,
//! file names, content types), the fragments it lands in have exactly the markup the template
//! has, so no text can open a tag, close one or leave an attribute.
#![no_main]

use std::sync::OnceLock;

// The derive names `arbitrary::...`, which libfuzzer-sys re-exports.
use libfuzzer_sys::{
    arbitrary::{self, Arbitrary},
    fuzz_target,
};
use minijinja::{Value, context};
use privacyd::templates::Templates;

#[derive(Arbitrary, Debug)]
struct Input {
    label: String,
    description: String,
    field: (String, String),
    path: String,
    content_type: String,
}

/// How many of each character that can start or end markup or a quoted attribute value.
fn markup(html: &str) -> [usize; 4] {
    ['<', '>', '"', '\''].map(|c| html.matches(c).count())
}

fn render(templates: &Templates, input: &Input) -> Vec<String> {
    let fragments: [(&str, Value); 4] = [
        ("group", context! { index => 1, label => input.label, description => input.description }),
        ("contents_entry", context! { index => 1, label => input.label, items => 2 }),
        ("fields", context! { fields => vec![input.field.clone()] }),
        (
            "file",
            context! {
                href => input.path, path => input.path, sent => input.path, renamed => true,
                content_type => input.content_type, size => 1,
            },
        ),
    ];
    fragments.iter().map(|(name, ctx)| templates.render_export(name, ctx).expect("renders")).collect()
}

fuzz_target!(|input: Input| {
    static TEMPLATES: OnceLock<Templates> = OnceLock::new();
    let templates = TEMPLATES.get_or_init(|| Templates::load(None).expect("the defaults load"));
    // The skeleton: harmless text where the input has text, and nothing where it has none,
    // since a template may leave out an element for an empty value (a group's description).
    let x = |text: &str| if text.is_empty() { String::new() } else { "x".to_owned() };
    let plain = Input {
        label: x(&input.label),
        description: x(&input.description),
        field: (x(&input.field.0), x(&input.field.1)),
        path: x(&input.path),
        content_type: x(&input.content_type),
    };
    for (fragment, skeleton) in render(templates, &input).iter().zip(render(templates, &plain)) {
        assert_eq!(markup(fragment), markup(&skeleton), "{fragment}");
    }
});
