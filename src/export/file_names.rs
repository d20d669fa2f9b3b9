//! The names a source's files get in the archive: safe and distinct wherever the subject
//! opens it (Windows, macOS, Linux), readable in the subject's own script, and never a reason
//! for an export to fail. The name the source sent is kept beside it ([`super::spool::SpooledFile`]).
//!
//! The rules, each for the system that needs it:
//! - Unicode text stays, in NFC (Unicode Standard Annex #15): macOS stores names decomposed and
//!   Linux as given, so one canonical form keeps `résumé.pdf` one name everywhere.
//! - Replaced with `_`: control characters (Unicode `Cc`), the characters Windows forbids
//!   (`< > : " | ? *`), line and paragraph separators, and bidirectional controls, which can
//!   make `invoice\u{202E}fdp.exe` read as `invoiceexe.pdf` (CVE-2021-42574's trick).
//! - Dropped: empty, `.` and `..` components (no path leaves the source's folder), leading
//!   dots (hidden files would be missed by the subject), and trailing dots and spaces, which
//!   Windows strips, so that `report.` and `report` are one file there.
//! - Windows' reserved device names (`CON`, `PRN`, `AUX`, `NUL`, `COM0`-`COM9`, `LPT0`-`LPT9`
//!   and their superscript-digit forms, in any case, with any extension: Microsoft's "Naming
//!   Files, Paths, and Namespaces") get `_` after the name: `nul.txt` becomes `nul_.txt`.
//! - At most [`MAX_COMPONENT_BYTES`] bytes of UTF-8 per component (`NAME_MAX` on Linux and
//!   APFS; NTFS counts UTF-16 units, never more than UTF-8 bytes), [`MAX_PATH_BYTES`] per path
//!   and [`MAX_DEPTH`] components; a longer name is shortened before its extension.
//! - Distinct case-insensitively, and without regard to characters macOS's HFS+ ignores: the
//!   later of `Readme.txt` and `README.TXT` becomes `README-2.TXT`. A folder never takes the
//!   name of a file or the other way round (`x` then `x/y` gives `x` and `x-2/y`).

use std::collections::{HashMap, HashSet};

use unicode_normalization::UnicodeNormalization;

/// Most bytes (UTF-8) of one path component.
pub const MAX_COMPONENT_BYTES: usize = 255;
/// Most bytes (UTF-8) of a whole path under a source's folder. The archive puts it under
/// `files/<source>/` (at most 70 bytes more), which leaves most of macOS's 1024-byte
/// `PATH_MAX` for the folder the archive is extracted into.
pub const MAX_PATH_BYTES: usize = 512;
/// Most components of a path (folders and the file); deeper folders are left out.
pub const MAX_DEPTH: usize = 8;
/// The folders of a path take at most this, so that any file name fits after them.
const MAX_FOLDERS_BYTES: usize = MAX_PATH_BYTES - MAX_COMPONENT_BYTES - 1;
/// A folder is not started with less room than this left; its file goes one level up.
const MIN_FOLDER_BYTES: usize = 24;
/// Longest extension (with its dot) that is kept whole when a name is shortened or numbered.
const MAX_EXTENSION_BYTES: usize = 32;
/// How much of the name a source sent is kept to show beside its archive path.
pub const MAX_SENT_PATH_BYTES: usize = 4096;

/// Hands out the archive paths of one source's files, each distinct from all before it.
#[derive(Default)]
pub struct Namer {
    /// The folded form ([`fold`]) of every path given out, files and folders alike.
    taken: HashSet<String>,
    /// Folders by the folded path they were asked for (under their chosen parent), so that
    /// every file of one folder lands in the same one.
    folders: HashMap<String, String>,
    /// The next number to try per asked-for path: thousands of files of one name are numbered
    /// in linear time, not by trying 2, 3, ... again for each.
    next_number: HashMap<String, u64>,
}

impl Namer {
    /// The archive path (relative, `/`-separated) for a file the source sent as `sent`.
    /// Never fails and never repeats itself (case-insensitively) or a folder's path.
    pub fn place(&mut self, sent: &str) -> String {
        let (folders, name) = components(sent);
        let mut parent = String::new();
        for folder in folders {
            let asked = join(&parent, &folder);
            if let Some(chosen) = self.folders.get(&fold(&asked)) {
                parent = chosen.clone();
                continue;
            }
            let room = MAX_FOLDERS_BYTES.saturating_sub(if parent.is_empty() { 0 } else { parent.len() + 1 });
            if room < MIN_FOLDER_BYTES {
                break;
            }
            let chosen = self.claim(&parent, &folder, room.min(MAX_COMPONENT_BYTES));
            self.folders.insert(fold(&asked), chosen.clone());
            parent = chosen;
        }
        self.claim(&parent, &name, MAX_COMPONENT_BYTES)
    }

    /// The first free path `parent/component`, numbered (`-2`, `-3`, ...) if need be, with the
    /// component at most `max` bytes.
    fn claim(&mut self, parent: &str, component: &str, max: usize) -> String {
        let asked = fold(&join(parent, component));
        let mut number = self.next_number.get(&asked).copied().unwrap_or(1);
        loop {
            let path = join(parent, &fit(component, (number > 1).then_some(number), max));
            number += 1;
            if self.taken.insert(fold(&path)) {
                self.next_number.insert(asked, number);
                return path;
            }
        }
    }
}

/// What of a name the source sent is kept to show the subject: all of it up to
/// [`MAX_SENT_PATH_BYTES`] (a name is not a place to stream megabytes into).
pub fn sent_path(sent: &str) -> String {
    if sent.len() <= MAX_SENT_PATH_BYTES {
        return sent.to_owned();
    }
    let mut end = MAX_SENT_PATH_BYTES - '…'.len_utf8();
    while !sent.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &sent[..end])
}

/// A sent path as safe components: its folders (at most [`MAX_DEPTH`] - 1) and its file
/// name. A path with nothing usable in it is called `file`.
fn components(sent: &str) -> (Vec<String>, String) {
    let mut parts: Vec<String> =
        sent.split(['/', '\\']).filter(|s| !s.is_empty() && *s != "." && *s != "..").map(safe_component).collect();
    let name = parts.pop().unwrap_or_else(|| "file".to_owned());
    parts.truncate(MAX_DEPTH - 1);
    (parts, name)
}

/// One component made safe (see the module's rules), not yet shortened.
fn safe_component(raw: &str) -> String {
    let replaced: String = raw.nfc().map(|c| if is_unsafe(c) { '_' } else { c }).collect();
    finish(replaced.trim_start_matches('.'))
}

fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*' | '/' | '\\')
        // Line and paragraph separators, and the bidirectional controls (Unicode UAX #9).
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{061C}' | '\u{200E}' | '\u{200F}')
        || ('\u{202A}'..='\u{202E}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// The last step for any component, also after shortening or numbering: no trailing dots or
/// spaces, never empty, never a Windows device name. Adds at most one byte.
fn finish(name: &str) -> String {
    let name = name.trim_end_matches(['.', ' ']);
    if name.is_empty() {
        return "_".to_owned();
    }
    // Windows reads `NUL.txt` and `NUL .tar.gz` as the device NUL: the name before the first
    // dot counts, without its trailing spaces.
    let stem_end = name.find('.').unwrap_or(name.len());
    let stem = name[..stem_end].trim_end_matches(' ');
    if is_reserved(stem) {
        return format!("{}_{}", &name[..stem.len()], &name[stem.len()..]);
    }
    name.to_owned()
}

fn is_reserved(stem: &str) -> bool {
    let upper = stem.to_uppercase();
    if matches!(upper.as_str(), "CON" | "PRN" | "AUX" | "NUL" | "CONIN$" | "CONOUT$") {
        return true;
    }
    let mut chars = upper.chars();
    let prefix: String = chars.by_ref().take(3).collect();
    let rest: Vec<char> = chars.collect();
    matches!(prefix.as_str(), "COM" | "LPT")
        && matches!(rest.as_slice(), [d] if d.is_ascii_digit() || matches!(d, '¹' | '²' | '³'))
}

/// `name`, numbered `-n` before its extension if `number` is given, shortened (at a character
/// boundary, before the extension) to at most `max` bytes, and finished again.
fn fit(name: &str, number: Option<u64>, max: usize) -> String {
    let suffix = number.map(|n| format!("-{n}")).unwrap_or_default();
    let (stem, extension) = match name.rfind('.') {
        // An extension is kept whole only while a character of the stem still fits before it.
        Some(dot) if dot > 0 && name.len() - dot <= MAX_EXTENSION_BYTES.min(max.saturating_sub(6 + suffix.len())) => {
            name.split_at(dot)
        }
        _ => (name, ""),
    };
    // One byte is kept for `finish`, which may add a `_`.
    let room = max.saturating_sub(1 + suffix.len() + extension.len());
    let mut end = stem.len().min(room);
    while !stem.is_char_boundary(end) {
        end -= 1;
    }
    let fitted = finish(&format!("{}{suffix}{extension}", &stem[..end]));
    debug_assert!(fitted.len() <= max, "{fitted:?} is longer than {max}");
    fitted
}

fn join(parent: &str, component: &str) -> String {
    if parent.is_empty() { component.to_owned() } else { format!("{parent}/{component}") }
}

/// The form in which two paths are one on a case-insensitive file system: case-folded (upper
/// then lower case, which also joins what only one system's table joins: a stricter test
/// only numbers a name that did not need it) and without the characters HFS+ ignores in
/// names (zero-width and formatting characters), in NFC.
fn fold(path: &str) -> String {
    path.chars()
        .flat_map(char::to_uppercase)
        .flat_map(char::to_lowercase)
        .filter(
            |c| !matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{FEFF}'),
        )
        .nfc()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place_all(sent: &[&str]) -> Vec<String> {
        let mut namer = Namer::default();
        sent.iter().map(|s| namer.place(s)).collect()
    }

    #[test]
    fn unicode_letters_stay_in_nfc_and_only_the_unsafe_is_replaced() {
        assert_eq!(place_all(&["写真.jpg", "画像.jpg"]), ["写真.jpg", "画像.jpg"]);
        // Decomposed as macOS sends it, composed as it is stored.
        assert_eq!(place_all(&["re\u{301}sume\u{301}.pdf"]), ["résumé.pdf"]);
        assert_eq!(place_all(&["/abs/a b\u{7}.png"]), ["abs/a b_.png"]);
        assert_eq!(place_all(&["a<b>c:d\"e|f?g*h.txt"]), ["a_b_c_d_e_f_g_h.txt"]);
        assert_eq!(place_all(&["invoice\u{202E}fdp.exe"]), ["invoice_fdp.exe"]);
        assert_eq!(place_all(&["../../etc/passwd"]), ["etc/passwd"]);
        assert_eq!(place_all(&["..\\..\\win\\x.txt"]), ["win/x.txt"]);
        assert_eq!(place_all(&[".hidden"]), ["hidden"]);
        assert_eq!(place_all(&["../.."]), ["file"]);
        assert_eq!(place_all(&["a/./b//c.txt"]), ["a/b/c.txt"]);
    }

    #[test]
    fn windows_device_names_trailing_dots_and_spaces_are_made_safe() {
        let placed = place_all(&[
            "CON",
            "nul.txt",
            "COM1.log",
            "LPT9.txt",
            "aux.",
            "report.",
            "report",
            "Con.tar.gz",
            "NUL .txt",
            "com²",
            "conin$",
            "COM10",
            "console",
            "lpt",
            "folder./x",
            "a. . ",
        ]);
        assert_eq!(
            placed,
            [
                "CON_",
                "nul_.txt",
                "COM1_.log",
                "LPT9_.txt",
                "aux_",
                "report",
                "report-2",
                "Con_.tar.gz",
                "NUL_ .txt",
                "com²_",
                "conin$_",
                "COM10",
                "console",
                "lpt",
                "folder/x",
                "a",
            ]
        );
    }

    #[test]
    fn names_that_differ_only_in_case_or_ignorables_are_made_distinct() {
        assert_eq!(
            place_all(&["Readme.txt", "README.TXT", "readme.txt"]),
            ["Readme.txt", "README-2.TXT", "readme-3.txt"]
        );
        assert_eq!(place_all(&["Photos/a.png", "PHOTOS/b.png"]), ["Photos/a.png", "Photos/b.png"]);
        assert_eq!(place_all(&["ab.txt", "a\u{200D}b.txt"]), ["ab.txt", "a\u{200D}b-2.txt"]);
        assert_eq!(place_all(&["a-2.txt", "a.txt", "a.txt"]), ["a-2.txt", "a.txt", "a-3.txt"]);
    }

    #[test]
    fn files_and_folders_never_take_each_others_names() {
        assert_eq!(place_all(&["x", "x/y"]), ["x", "x-2/y"]);
        assert_eq!(place_all(&["...", "..../x.txt"]), ["_", "_-2/x.txt"]);
        assert_eq!(place_all(&["x/y", "x", "X/z"]), ["x/y", "x-2", "x/z"]);
        assert_eq!(place_all(&["x", "x/y", "x/z", "x-2"]), ["x", "x-2/y", "x-2/z", "x-2-2"]);
    }

    #[test]
    fn long_names_and_deep_paths_are_bounded() {
        let long = format!("{}.txt", "é".repeat(300));
        let placed = place_all(&[&long, &long]);
        for p in &placed {
            assert!(p.len() <= MAX_COMPONENT_BYTES && p.ends_with(".txt"), "{p}");
        }
        assert!(placed[1].ends_with("-2.txt") && placed[0] != placed[1]);
        let deep = (0..20).map(|i| format!("d{i}")).collect::<Vec<_>>().join("/") + "/file.txt";
        let placed = place_all(&[&deep]);
        assert_eq!(placed[0].split('/').count(), MAX_DEPTH);
        assert!(placed[0].ends_with("/file.txt"));
        let wide = vec!["f".repeat(250); 8].join("/");
        let placed = place_all(&[&wide, &wide]);
        for p in &placed {
            assert!(p.len() <= MAX_PATH_BYTES, "{} bytes", p.len());
        }
        assert_ne!(fold(&placed[0]), fold(&placed[1]));
    }

    #[test]
    fn many_files_of_one_name_are_numbered_in_linear_time() {
        let mut namer = Namer::default();
        let started = std::time::Instant::now();
        let placed: HashSet<String> = (0..20_000).map(|_| namer.place("Total.txt")).collect();
        assert_eq!(placed.len(), 20_000);
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
    }

    #[test]
    fn sent_paths_are_kept_up_to_a_bound() {
        assert_eq!(sent_path("写真.jpg"), "写真.jpg");
        let long = "写".repeat(2000);
        let kept = sent_path(&long);
        assert!(kept.len() <= MAX_SENT_PATH_BYTES && kept.ends_with('…'));
    }

    /// What every path given out must be, whatever came before it.
    fn assert_safe(path: &str) {
        assert!(!path.is_empty() && path.len() <= MAX_PATH_BYTES, "{path:?}");
        let parts: Vec<&str> = path.split('/').collect();
        assert!(parts.len() <= MAX_DEPTH, "{path:?}");
        for part in parts {
            assert!(!part.is_empty() && part.len() <= MAX_COMPONENT_BYTES, "{path:?}");
            assert!(!part.starts_with('.') && !part.ends_with(['.', ' ']), "{path:?}");
            assert!(!part.chars().any(is_unsafe), "{path:?}");
            let stem = part.split('.').next().unwrap().trim_end_matches(' ');
            assert!(!is_reserved(stem), "{path:?}");
        }
        assert!(path.nfc().eq(path.chars()), "{path:?} is in NFC");
    }

    /// Property tests (case counts: see `crate::testing::proptest_cases`).
    mod props {
        use super::*;
        use crate::testing::proptest_cases::cases;

        use proptest::prelude::*;

        /// Names built from the pieces that make trouble: separators, dots, spaces, device
        /// names, case pairs, decomposed letters, controls, long runs.
        fn troublesome_name() -> impl Strategy<Value = String> {
            let piece = prop_oneof![
                Just("/".to_owned()),
                Just("\\".to_owned()),
                Just(".".to_owned()),
                Just("..".to_owned()),
                Just(" ".to_owned()),
                Just("con".to_owned()),
                Just("NUL".to_owned()),
                Just("Com1".to_owned()),
                Just("lpt³".to_owned()),
                Just("x".to_owned()),
                Just("X".to_owned()),
                Just("e\u{301}".to_owned()),
                Just("é".to_owned()),
                Just("ß".to_owned()),
                Just("SS".to_owned()),
                Just("\u{200D}".to_owned()),
                Just("-2".to_owned()),
                Just(".txt".to_owned()),
                Just("写真".to_owned()),
                Just("é".repeat(140)),
                any::<char>().prop_map(String::from),
            ];
            prop::collection::vec(piece, 0..12).prop_map(|pieces| pieces.concat())
        }

        proptest! {
            #![proptest_config(cases(512))]

            #[test]
            fn any_sequence_of_names_gets_safe_distinct_paths(names in prop::collection::vec(troublesome_name(), 1..40)) {
                let mut namer = Namer::default();
                let mut files = HashSet::new();
                let mut folders = HashSet::new();
                for name in &names {
                    let path = namer.place(name);
                    assert_safe(&path);
                    prop_assert!(files.insert(fold(&path)), "{:?} given out twice, for {:?}", path, names);
                    let mut prefix = String::new();
                    for part in path.split('/').rev().skip(1).collect::<Vec<_>>().into_iter().rev() {
                        prefix = join(&prefix, part);
                        folders.insert(fold(&prefix));
                    }
                }
                prop_assert!(files.is_disjoint(&folders), "a file and a folder share a path: {:?}", names);
            }

            /// A name in any script, of letters and digits (with an extension or not), is kept as
            /// it is, composed (NFC): the subject reads their files under the names they gave them.
            #[test]
            fn unicode_letters_survive(stem in "[\\p{L}\\p{N}]{1,40}", extension in "(\\.[\\p{L}\\p{N}]{1,6})?") {
                let name = format!("{stem}{extension}");
                prop_assume!(!is_reserved(&stem.nfc().collect::<String>()) && name.len() < MAX_COMPONENT_BYTES);
                prop_assert_eq!(Namer::default().place(&name), name.nfc().collect::<String>());
            }

            /// What is kept of a sent name is all of it, or as much as fits the bound with `…`.
            #[test]
            fn sent_paths_are_kept_whole_or_cut_at_the_bound(sent in prop_oneof!["\\PC{0,40}", "\\PC{1000,1400}"]) {
                let kept = sent_path(&sent);
                prop_assert!(kept.len() <= MAX_SENT_PATH_BYTES);
                if sent.len() <= MAX_SENT_PATH_BYTES {
                    prop_assert_eq!(kept, sent);
                } else {
                    let cut = kept.strip_suffix('…').expect("marked as cut");
                    prop_assert!(sent.starts_with(cut) && cut.len() + 4 > MAX_SENT_PATH_BYTES - '…'.len_utf8());
                }
            }
        }
    }
}
