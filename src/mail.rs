//! Sending email: through SMTP in production, or into an outbox folder of `.eml` files on a
//! fresh machine, so privacyd runs with no mail server and an operator can still read every
//! message it would have sent.
//!
//! The outbox's files are named `<request id>-<random>.eml`, so a request's emails (which hold
//! its subject's address and live links) can be found and removed with it, and are written
//! 0600 in a 0700 folder: lettre's own file transport names files by a random id only and
//! leaves their mode to the umask.

use std::path::{Path, PathBuf};

use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{
        Body, Mailbox, MultiPart, SinglePart,
        header::{ContentTransferEncoding, ContentType},
    },
};

use crate::{domain::RequestId, private_files, templates::RenderedEmail};

pub mod smtp;

/// Why a send failed, and whether trying again may help.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct SendError {
    pub message: String,
    pub retryable: bool,
}

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Outbox(PathBuf),
}

/// Sends rendered emails. Cheap to clone.
#[derive(Clone)]
pub struct Mailer {
    transport: std::sync::Arc<Transport>,
    from: Mailbox,
}

impl Mailer {
    /// SMTP when `smtp_url` is given (see [`smtp`] for the URL and its TLS rules), trusting
    /// `smtp_ca_pem`'s certificates besides the system roots; otherwise the outbox folder.
    pub fn new(
        smtp_url: Option<&str>,
        smtp_ca_pem: Option<&[u8]>,
        outbox: PathBuf,
        from: Mailbox,
    ) -> anyhow::Result<Self> {
        let transport = match smtp_url {
            Some(url) => {
                let plan = smtp::plan(url)?;
                tracing::info!(host = %plan.host, port = plan.port, tls = ?plan.tls,
                    authenticated = plan.credentials.is_some(), "sending email through SMTP");
                Transport::Smtp(smtp::transport(&plan, smtp_ca_pem)?)
            }
            None => {
                let tightened = private_files::create_dir(&outbox)
                    .map_err(|e| anyhow::anyhow!("creating the outbox {}: {e}", outbox.display()))?;
                if tightened {
                    tracing::warn!(folder = %outbox.display(), "the outbox was readable by other users; its mode is now 0700");
                }
                Transport::Outbox(outbox)
            }
        };
        Ok(Mailer { transport: std::sync::Arc::new(transport), from })
    }

    pub fn describe(&self) -> &'static str {
        match *self.transport {
            Transport::Smtp(_) => "smtp",
            Transport::Outbox(_) => "outbox",
        }
    }

    /// Sends an email about request `about` (which names its file in the outbox).
    pub async fn send(&self, about: RequestId, to: Mailbox, email: &RenderedEmail) -> Result<(), SendError> {
        let recipient = to.email.to_string();
        self.deliver(about, to, email).await.map_err(|err| SendError {
            // SMTP replies often quote the recipient; errors go to the audit log and the logs,
            // which never hold personal data.
            message: crate::domain::redact(&err.message, &recipient),
            retryable: err.retryable,
        })
    }

    async fn deliver(&self, about: RequestId, to: Mailbox, email: &RenderedEmail) -> Result<(), SendError> {
        let permanent = |message: String| SendError { message, retryable: false };
        // 8bit keeps the text part readable as it is (links are not broken across
        // quoted-printable soft line breaks), which matters to people reading `.eml` files and
        // to scripts that take the link out of the outbox.
        let text = eight_bit(&email.text).unwrap_or_else(|| Body::new(email.text.clone()));
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.subject.clone())
            .multipart(
                MultiPart::alternative()
                    .singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(text))
                    .singlepart(SinglePart::html(email.html.clone())),
            )
            .map_err(|e| permanent(format!("building the message: {e}")))?;
        match &*self.transport {
            Transport::Smtp(smtp) => smtp.send(message).await.map(|_| ()).map_err(|e| SendError {
                // A 5xx reply will get the same answer next time; connection failures and 4xx
                // replies are worth retrying.
                retryable: !e.is_permanent(),
                message: format!("SMTP: {e}"),
            }),
            Transport::Outbox(outbox) => {
                let path = outbox.join(format!("{about}-{}.eml", uuid::Uuid::new_v4().simple()));
                let formatted = message.formatted();
                tokio::task::spawn_blocking(move || private_files::write_file(&path, &formatted))
                    .await
                    .map_err(|e| SendError { message: format!("outbox: {e}"), retryable: true })?
                    .map_err(|e| SendError { message: format!("outbox: {e}"), retryable: true })
            }
        }
    }
}

/// Removes the outbox files of request `id`: its emails hold the subject's address and links.
/// Returns how many were removed.
pub fn remove_outbox_files(outbox: &Path, id: RequestId) -> std::io::Result<usize> {
    let prefix = format!("{id}-");
    let entries = match std::fs::read_dir(outbox) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(err) => return Err(err),
    };
    let mut removed = 0;
    for entry in entries {
        let entry = entry?;
        if entry.file_name().to_str().is_some_and(|name| name.starts_with(&prefix)) {
            match std::fs::remove_file(entry.path()) {
                Ok(()) => removed += 1,
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
                Err(err) => return Err(err),
            }
        }
    }
    Ok(removed)
}

/// The text as an 8bit body, if it is valid 8bit (RFC 6152: CRLF lines of at most 998 bytes,
/// no NUL). lettre would pick quoted-printable for any line over 76 characters, which splits
/// long links with soft line breaks.
fn eight_bit(text: &str) -> Option<Body> {
    let crlf = text.replace("\r\n", "\n").replace('\n', "\r\n");
    let valid = !crlf.contains('\0') && crlf.split("\r\n").all(|line| line.len() <= 998 && !line.contains('\r'));
    valid.then(|| Body::dangerous_pre_encoded(crlf.into_bytes(), ContentTransferEncoding::EightBit))
}

#[cfg(test)]
mod tests {
    #[test]
    fn text_goes_out_as_8bit_with_crlf_unless_a_line_is_too_long() {
        let body = super::eight_bit(&format!("a\nhttps://example.com/{}\n", "x".repeat(200))).unwrap();
        assert_eq!(body.encoding(), lettre::message::header::ContentTransferEncoding::EightBit);
        assert!(String::from_utf8(body.into_vec()).unwrap().starts_with("a\r\nhttps://"));
        assert!(super::eight_bit(&"x".repeat(999)).is_none());
    }

    #[test]
    fn redacts_the_recipient_in_any_case() {
        let message = "550 5.1.1 <Jane@Example.com>: Recipient address rejected";
        assert_eq!(
            crate::domain::redact(message, "jane@example.com"),
            "550 5.1.1 <<redacted>>: Recipient address rejected"
        );
    }
}
