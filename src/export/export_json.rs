//! `export.json` in WordPress's shape, written as it goes. WordPress (5.4 and later,
//! `wp_privacy_generate_personal_data_export_file` in wp-admin/includes/privacy-tools.php)
//! writes one top-level object, keyed by the report's title, that holds the groups:
//!
//! ```json
//! {"Personal Data Export for jane@example.com": {
//!   "about": {"group_label": "About", "group_description": "Overview of export report.",
//!             "items": {"about-1": [{"name": "Report generated for", "value": "jane@example.com"}]}},
//!   "<group id>": {"group_label": "...", "group_description": "...",
//!                  "items": {"<item id>": [{"name": "...", "value": "..."}, ...]}}}}
//! ```
//!
//! An item is an array of name/value pairs, so its fields keep their order and a name may
//! repeat (a merged item's two `Total`s are two pairs, not `Total` and `Total (2)`). The
//! schema of what privacyd writes is docs/export.schema.json. Unlike WordPress, which writes
//! the title into the JSON unescaped, every string here is JSON-escaped.
//!
//! Memory: what is written goes straight to the output; the writer holds one item's state (a
//! few flags) and a buffer for one call's text.

use std::io::Write;

/// Text as a JSON string.
pub trait JsonText {
    /// Appends the text as a JSON string, quoted and escaped as `serde_json` escapes it.
    fn write_json(&self, out: &mut Vec<u8>) -> std::io::Result<()>;
}

impl JsonText for &str {
    fn write_json(&self, out: &mut Vec<u8>) -> std::io::Result<()> {
        Ok(serde_json::to_writer(out, self)?)
    }
}

/// Writes one `export.json`. The caller writes groups, each group's items, and each item's
/// fields, in order; a group's keys (and an item's) must be distinct, which the caller
/// guarantees (group ids and `<source>/<item id>` come from a merge).
pub struct ExportJson<W: Write> {
    out: W,
    buf: Vec<u8>,
    groups: u64,
    group_open: bool,
    items_in_group: u64,
    item_open: bool,
    fields_in_item: u64,
}

impl<W: Write> ExportJson<W> {
    /// Starts the document for the subject `email`, titled as WordPress titles it.
    pub fn begin(mut out: W, email: &str) -> std::io::Result<Self> {
        let title = format!("Personal Data Export for {email}");
        write!(out, "{{{}: {{", serde_json::to_string(&title)?)?;
        Ok(ExportJson {
            out,
            buf: Vec::new(),
            groups: 0,
            group_open: false,
            items_in_group: 0,
            item_open: false,
            fields_in_item: 0,
        })
    }

    /// Opens the next group (closing the one before).
    pub fn group(&mut self, group_id: &str, label: &str, description: &str) -> std::io::Result<()> {
        self.close_group()?;
        self.buf.clear();
        if self.groups > 0 {
            self.buf.push(b',');
        }
        self.buf.push(b'\n');
        serde_json::to_writer(&mut self.buf, group_id)?;
        self.buf.extend_from_slice(b": {\"group_label\": ");
        serde_json::to_writer(&mut self.buf, label)?;
        self.buf.extend_from_slice(b", \"group_description\": ");
        serde_json::to_writer(&mut self.buf, description)?;
        self.buf.extend_from_slice(b", \"items\": {");
        self.out.write_all(&self.buf)?;
        self.groups += 1;
        self.group_open = true;
        self.items_in_group = 0;
        Ok(())
    }

    /// Opens the next item of the open group (closing the one before).
    pub fn item(&mut self, item_id: &str) -> std::io::Result<()> {
        assert!(self.group_open, "an item outside a group");
        self.close_item()?;
        self.buf.clear();
        if self.items_in_group > 0 {
            self.buf.push(b',');
        }
        self.buf.push(b'\n');
        serde_json::to_writer(&mut self.buf, item_id)?;
        self.buf.extend_from_slice(b": [");
        self.out.write_all(&self.buf)?;
        self.items_in_group += 1;
        self.item_open = true;
        self.fields_in_item = 0;
        Ok(())
    }

    /// Appends fields to the open item.
    pub fn fields<T: JsonText>(&mut self, fields: impl IntoIterator<Item = (T, T)>) -> std::io::Result<()> {
        assert!(self.item_open, "fields outside an item");
        self.buf.clear();
        for (name, value) in fields {
            if self.fields_in_item > 0 {
                self.buf.extend_from_slice(b", ");
            }
            self.buf.extend_from_slice(b"{\"name\": ");
            name.write_json(&mut self.buf)?;
            self.buf.extend_from_slice(b", \"value\": ");
            value.write_json(&mut self.buf)?;
            self.buf.push(b'}');
            self.fields_in_item += 1;
        }
        self.out.write_all(&self.buf)?;
        // A message's worth of text need not stay allocated for the rest of the archive.
        if self.buf.capacity() > 64 * 1024 {
            self.buf = Vec::new();
        }
        Ok(())
    }

    /// Ends the document, and gives the output back.
    pub fn finish(mut self) -> std::io::Result<W> {
        self.close_group()?;
        self.out.write_all(b"\n}}\n")?;
        Ok(self.out)
    }

    fn close_item(&mut self) -> std::io::Result<()> {
        if std::mem::take(&mut self.item_open) {
            self.out.write_all(b"]")?;
        }
        Ok(())
    }

    fn close_group(&mut self) -> std::io::Result<()> {
        self.close_item()?;
        if std::mem::take(&mut self.group_open) {
            self.out.write_all(b"\n}}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_items_and_fields_in_the_order_written_with_repeated_names_kept() {
        let mut json = ExportJson::begin(Vec::new(), "jane\"@example.com").unwrap();
        json.group("orders", "Orders", "").unwrap();
        json.item("shop/order-2").unwrap();
        json.fields([("Total", "2"), ("Status", "paid")]).unwrap();
        json.fields([("Total", "1")]).unwrap();
        json.item("shop/order-1").unwrap();
        json.group("empty", "Empty", "").unwrap();
        json.group("a", "A", "d").unwrap();
        json.item("x").unwrap();
        json.fields::<&str>([]).unwrap();
        let text = String::from_utf8(json.finish().unwrap()).unwrap();
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        let groups = &parsed["Personal Data Export for jane\"@example.com"];
        assert_eq!(
            groups["orders"]["items"]["shop/order-2"],
            serde_json::json!([
                {"name": "Total", "value": "2"}, {"name": "Status", "value": "paid"}, {"name": "Total", "value": "1"}
            ])
        );
        assert_eq!(groups["orders"]["items"]["shop/order-1"], serde_json::json!([]));
        assert_eq!(groups["empty"]["items"], serde_json::json!({}));
        assert_eq!(groups["a"]["group_description"], "d");
        let order = |a: &str, b: &str| text.find(a).unwrap() < text.find(b).unwrap();
        assert!(order("\"orders\"", "\"empty\"") && order("\"empty\"", "\"a\""), "groups in order: {text}");
        assert!(order("order-2", "order-1"), "items in order: {text}");
    }
}
