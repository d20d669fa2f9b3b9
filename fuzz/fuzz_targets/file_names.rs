//! The archive's file names: any names a source sends come out safe on every system and
//! distinct from each other (see src/export/file_names.rs for the rules).
#![no_main]

use std::collections::HashSet;

use libfuzzer_sys::fuzz_target;
use privacyd::export::file_names::{
    MAX_COMPONENT_BYTES, MAX_DEPTH, MAX_PATH_BYTES, MAX_SENT_PATH_BYTES, Namer, sent_path,
};

const RESERVED: &[&str] = &["con", "prn", "aux", "nul"];

fn reserved(stem: &str) -> bool {
    let stem = stem.to_lowercase();
    RESERVED.contains(&stem.as_str())
        || ((stem.starts_with("com") || stem.starts_with("lpt"))
            && stem.chars().count() == 4
            && stem.chars().last().is_some_and(|c| c.is_ascii_digit() || "¹²³".contains(c)))
}

fuzz_target!(|names: Vec<String>| {
    let mut namer = Namer::default();
    let mut given = HashSet::new();
    for name in names.iter().take(64) {
        let path = namer.place(name);
        assert!(!path.is_empty() && path.len() <= MAX_PATH_BYTES, "{path:?}");
        let parts: Vec<&str> = path.split('/').collect();
        assert!(parts.len() <= MAX_DEPTH, "{path:?}");
        for part in parts {
            assert!(!part.is_empty() && part.len() <= MAX_COMPONENT_BYTES, "{path:?}");
            assert!(part != "." && part != ".." && !part.starts_with('.'), "{path:?}");
            assert!(!part.ends_with(['.', ' ']), "{path:?}");
            assert!(!part.chars().any(|c| c.is_control() || "<>:\"|?*\\".contains(c)), "{path:?}");
            let stem = part.split('.').next().unwrap().trim_end_matches(' ');
            assert!(!reserved(stem), "{path:?}");
        }
        assert!(given.insert(path.to_lowercase()), "{path:?} given out twice");
        let shown = sent_path(name);
        assert!(shown.len() <= MAX_SENT_PATH_BYTES);
        assert!(name.starts_with(shown.trim_end_matches('…')));
    }
});
