//! The SQL connector's reader of PHP's serialize() format (WordPress's meta values): the text
//! comes from rows anyone could have written, a comment's meta for one.
#![no_main]

use libfuzzer_sys::fuzz_target;
use privacyd::sql_source::decode::php_unserialize;

fuzz_target!(|bytes: &[u8]| {
    let _ = php_unserialize(bytes);
});
