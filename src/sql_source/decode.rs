//! Decoding stored values: PHP's `serialize()` format, which WordPress uses for its meta values
//! (session tokens, community-events location).
//!
//! A small strict parser rather than a crate: the Rust crates for this format (`php_serde`,
//! `serde_php`, `php-serialize`) are little used and rarely released, and the subset needed to
//! *read* values is small. Strict: string lengths are byte counts and must match, every value
//! ends where the grammar says, trailing bytes are an error, nesting is bounded. Objects
//! (`O:`) are read as arrays of their properties (WordPress does not store objects in the
//! values the connector reads, but a plugin might). Property tests check it against a
//! serializer written from PHP's documented format.

/// A decoded PHP value.
#[derive(Debug, Clone, PartialEq)]
pub enum Php {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// PHP strings are bytes; read as UTF-8 with invalid sequences replaced.
    Str(String),
    /// Ordered: PHP arrays keep insertion order.
    Array(Vec<(PhpKey, Php)>),
}

/// An array key: PHP arrays have integer or string keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhpKey {
    Int(i64),
    Str(String),
}

impl std::fmt::Display for PhpKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PhpKey::Int(i) => write!(f, "{i}"),
            PhpKey::Str(s) => f.write_str(s),
        }
    }
}

impl Php {
    /// The value as PHP would print it (`echo`), or `None` for NULL; arrays are `None` too
    /// (WordPress never prints one as a field).
    pub fn to_text(&self) -> Option<String> {
        match self {
            Php::Null | Php::Array(_) => None,
            Php::Bool(true) => Some("1".into()),
            Php::Bool(false) => Some(String::new()),
            Php::Int(i) => Some(i.to_string()),
            Php::Float(f) => Some(f.to_string()),
            Php::Str(s) => Some(s.clone()),
        }
    }

    /// The member at `key`, if this is an array holding it.
    pub fn get(&self, key: &str) -> Option<&Php> {
        match self {
            Php::Array(entries) => entries.iter().find(|(k, _)| k.to_string() == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Follows `path` through nested arrays.
    pub fn at(&self, path: &[String]) -> Option<&Php> {
        path.iter().try_fold(self, |value, key| value.get(key))
    }
}

/// Why a value did not decode (never the value itself: it may be personal data).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not PHP-serialized data: {what} at byte {at}")]
pub struct DecodeError {
    pub what: &'static str,
    pub at: usize,
}

/// Deepest nesting accepted: a hostile value cannot exhaust the stack.
const MAX_DEPTH: usize = 64;

/// Decodes one PHP-serialized value; the whole input must be that one value.
pub fn php_unserialize(input: &[u8]) -> Result<Php, DecodeError> {
    let mut p = Parser { input, at: 0 };
    let value = p.value(0)?;
    if p.at != input.len() {
        return Err(p.error("trailing bytes"));
    }
    Ok(value)
}

struct Parser<'a> {
    input: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn error(&self, what: &'static str) -> DecodeError {
        DecodeError { what, at: self.at }
    }

    fn expect(&mut self, byte: u8) -> Result<(), DecodeError> {
        if self.input.get(self.at) == Some(&byte) {
            self.at += 1;
            Ok(())
        } else {
            Err(self.error("unexpected byte"))
        }
    }

    /// Bytes up to (not including) `end`, which is consumed.
    fn until(&mut self, end: u8) -> Result<&[u8], DecodeError> {
        let start = self.at;
        let len = self.input[start..].iter().position(|&b| b == end).ok_or_else(|| self.error("unterminated"))?;
        self.at = start + len + 1;
        Ok(&self.input[start..start + len])
    }

    fn integer(&mut self, end: u8) -> Result<i64, DecodeError> {
        let at = self.at;
        let digits = self.until(end)?;
        let text = std::str::from_utf8(digits).map_err(|_| DecodeError { what: "bad integer", at })?;
        let valid = !text.is_empty()
            && text.strip_prefix('-').unwrap_or(text).bytes().all(|b| b.is_ascii_digit())
            && text != "-";
        if !valid {
            return Err(DecodeError { what: "bad integer", at });
        }
        text.parse().map_err(|_| DecodeError { what: "integer out of range", at })
    }

    fn length(&mut self) -> Result<usize, DecodeError> {
        let at = self.at;
        usize::try_from(self.integer(b':')?).map_err(|_| DecodeError { what: "negative length", at })
    }

    fn string_body(&mut self) -> Result<String, DecodeError> {
        let len = self.length()?;
        self.expect(b'"')?;
        let end = self
            .at
            .checked_add(len)
            .filter(|&e| e <= self.input.len())
            .ok_or_else(|| self.error("string too short"))?;
        let s = String::from_utf8_lossy(&self.input[self.at..end]).into_owned();
        self.at = end;
        self.expect(b'"')?;
        Ok(s)
    }

    fn value(&mut self, depth: usize) -> Result<Php, DecodeError> {
        if depth > MAX_DEPTH {
            return Err(self.error("nested too deeply"));
        }
        let tag = *self.input.get(self.at).ok_or_else(|| self.error("unexpected end"))?;
        self.at += 1;
        if tag == b'N' {
            self.expect(b';')?;
            return Ok(Php::Null);
        }
        self.expect(b':')?;
        match tag {
            b'b' => match self.integer(b';')? {
                0 => Ok(Php::Bool(false)),
                1 => Ok(Php::Bool(true)),
                _ => Err(self.error("bad boolean")),
            },
            b'i' => Ok(Php::Int(self.integer(b';')?)),
            b'd' => {
                let at = self.at;
                let text = self.until(b';')?;
                let text = std::str::from_utf8(text).map_err(|_| DecodeError { what: "bad float", at })?;
                let value = match text {
                    "INF" => f64::INFINITY,
                    "-INF" => f64::NEG_INFINITY,
                    "NAN" => f64::NAN,
                    t => t.parse().map_err(|_| DecodeError { what: "bad float", at })?,
                };
                Ok(Php::Float(value))
            }
            b's' => {
                let s = self.string_body()?;
                self.expect(b';')?;
                Ok(Php::Str(s))
            }
            b'a' => self.array_body(depth),
            b'O' => {
                // O:<len>:"<class>":<count>:{...}: the class name is dropped.
                self.string_body()?;
                self.expect(b':')?;
                self.array_body(depth)
            }
            _ => Err(DecodeError { what: "unknown type", at: self.at - 2 }),
        }
    }

    fn array_body(&mut self, depth: usize) -> Result<Php, DecodeError> {
        let count = self.length()?;
        self.expect(b'{')?;
        // Never trust a count for an allocation: each entry takes at least 4 bytes.
        let mut entries = Vec::with_capacity(count.min(self.input.len() / 4));
        for _ in 0..count {
            let key = match self.value(depth + 1)? {
                Php::Int(i) => PhpKey::Int(i),
                Php::Str(s) => PhpKey::Str(s),
                _ => return Err(self.error("array key must be an integer or a string")),
            };
            let value = self.value(depth + 1)?;
            entries.push((key, value));
        }
        self.expect(b'}')?;
        Ok(Php::Array(entries))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// PHP's serialize(), from its documented format: the oracle for the property tests.
    fn serialize(v: &Php) -> String {
        match v {
            Php::Null => "N;".into(),
            Php::Bool(b) => format!("b:{};", u8::from(*b)),
            Php::Int(i) => format!("i:{i};"),
            Php::Float(f) => format!("d:{f:?};"),
            Php::Str(s) => format!("s:{}:\"{s}\";", s.len()),
            Php::Array(entries) => {
                let body: String = entries
                    .iter()
                    .map(|(k, v)| {
                        let key = match k {
                            PhpKey::Int(i) => serialize(&Php::Int(*i)),
                            PhpKey::Str(s) => serialize(&Php::Str(s.clone())),
                        };
                        key + &serialize(v)
                    })
                    .collect();
                format!("a:{}:{{{body}}}", entries.len())
            }
        }
    }

    fn php_value() -> impl Strategy<Value = Php> {
        let leaf = prop_oneof![
            Just(Php::Null),
            any::<bool>().prop_map(Php::Bool),
            any::<i64>().prop_map(Php::Int),
            (-1e9f64..1e9).prop_map(Php::Float),
            // Any text, quotes, semicolons, braces and multi-byte characters included.
            "\\PC{0,20}".prop_map(Php::Str),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop::collection::vec(
                (prop_oneof![any::<i64>().prop_map(PhpKey::Int), "\\PC{0,8}".prop_map(PhpKey::Str)], inner),
                0..6,
            )
            .prop_map(Php::Array)
        })
    }

    /// Property tests (case counts: see `crate::testing::proptest_cases`).
    mod props {
        use super::*;
        use crate::testing::proptest_cases::cases;

        proptest! {
            #![proptest_config(cases(256))]

            #[test]
            fn decodes_what_php_serializes(value in php_value()) {
                prop_assert_eq!(php_unserialize(serialize(&value).as_bytes()), Ok(value));
            }

            /// Cut anywhere or extended, a value is refused, never misread or panicking.
            #[test]
            fn refuses_truncated_or_extended_input(value in php_value(), cut in any::<prop::sample::Index>()) {
                let text = serialize(&value);
                let cut = cut.index(text.len());
                prop_assert!(php_unserialize(&text.as_bytes()[..cut]).is_err());
                let extended = text.clone() + "x";
                prop_assert!(php_unserialize(extended.as_bytes()).is_err());
            }

            #[test]
            fn never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
                let _ = php_unserialize(&bytes);
            }
        }
    }

    /// A real WordPress session_tokens value (wp_usermeta), shape and all.
    #[test]
    fn reads_wordpress_session_tokens() {
        let stored = br#"a:1:{s:64:"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";a:4:{s:10:"expiration";i:1796238258;s:2:"ip";s:9:"127.0.0.1";s:2:"ua";s:11:"curl/8.0 ;}";s:5:"login";i:1795028658;}}"#;
        let value = php_unserialize(stored).unwrap();
        let Php::Array(tokens) = &value else { panic!("an array") };
        assert_eq!(tokens[0].0.to_string().len(), 64);
        assert_eq!(tokens[0].1.get("ip").and_then(Php::to_text).as_deref(), Some("127.0.0.1"));
        assert_eq!(tokens[0].1.get("ua").and_then(Php::to_text).as_deref(), Some("curl/8.0 ;}"));
        assert_eq!(tokens[0].1.at(&["expiration".into()]), Some(&Php::Int(1796238258)));
    }

    #[test]
    fn string_lengths_are_bytes_and_must_match() {
        assert_eq!(php_unserialize("s:2:\"é\";".as_bytes()), Ok(Php::Str("é".into())));
        assert!(php_unserialize(b"s:3:\"ab\";").is_err());
        assert!(php_unserialize(b"a:99999999999:{}").is_err());
        let deep = "a:1:{i:0;".repeat(100) + "N;" + &"}".repeat(100);
        assert_eq!(php_unserialize(deep.as_bytes()).unwrap_err().what, "nested too deeply");
    }
}
