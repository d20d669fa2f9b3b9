//! `privacyctl requests download ID`: saves a completed export's archive. Bytes go to
//! `FILE.part` as they arrive, so an interrupted download resumes from what is there (with
//! DownloadExport's `offset`); the whole file is checked against the SHA-256 in privacyd's
//! header before it is renamed to FILE, so FILE is only ever a complete, verified archive.

use std::{
    path::{Path, PathBuf},
    process::ExitCode,
};

use anyhow::{Context, bail};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{
    connection::Connection,
    output,
    status::{Rpc, failed},
};
use crate::proto::privacy::v1 as pb;

#[derive(Args, Debug)]
pub struct DownloadArgs {
    id: String,
    /// Where to save it; privacy-export-<ID>.zip by default. FILE.part holds it meanwhile.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// The download token from the subject's "export ready" link; without it, the admin token
    /// is used.
    #[arg(long, allow_hyphen_values = true)]
    token: Option<String>,
    /// Replace FILE if it exists.
    #[arg(long)]
    force: bool,
}

fn part_path(out: &Path) -> PathBuf {
    let mut name = out.as_os_str().to_owned();
    name.push(".part");
    PathBuf::from(name)
}

/// SHA-256 of what an earlier attempt saved, so the whole file is checked, not only the rest.
async fn hash_existing(part: &Path, hasher: &mut Sha256) -> anyhow::Result<()> {
    let mut file = tokio::fs::File::open(part).await?;
    let mut buffer = vec![0; 1 << 20];
    loop {
        let n = file.read(&mut buffer).await?;
        if n == 0 {
            return Ok(());
        }
        hasher.update(&buffer[..n]);
    }
}

pub async fn download(conn: &Connection, json: bool, args: DownloadArgs) -> anyhow::Result<ExitCode> {
    let out = args.out.unwrap_or_else(|| PathBuf::from(format!("privacy-export-{}.zip", args.id)));
    if out.exists() && !args.force {
        bail!("{} exists; pass --force to replace it", out.display());
    }
    let part = part_path(&out);
    let offset = match tokio::fs::metadata(&part).await {
        Ok(meta) => meta.len(),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => 0,
        Err(err) => return Err(err).with_context(|| format!("reading {}", part.display())),
    };
    let call =
        pb::DownloadExportRequest { id: args.id.clone(), token: args.token.unwrap_or_default(), offset: offset as i64 };
    let resuming = || format!("resuming from {} ({offset} bytes); delete it to start again", part.display());
    let mut stream = match conn.requests().download_export(call).await.rpc("DownloadExport") {
        Ok(stream) => stream,
        Err(err) if offset > 0 => return Err(anyhow::Error::new(err).context(resuming())),
        Err(err) => return Err(err.into()),
    };
    let header = match stream.message().await.map_err(failed("DownloadExport"))?.and_then(|m| m.payload) {
        Some(pb::download_export_response::Payload::Header(header)) => header,
        _ => bail!("DownloadExport: privacyd sent no header before the archive's bytes"),
    };

    let mut hasher = Sha256::new();
    if offset > 0 {
        hash_existing(&part, &mut hasher).await.with_context(resuming)?;
    }
    // The archive is the subject's personal data: readable by whoever ran privacyctl only.
    let mut options = tokio::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    options.mode(crate::private_files::FILE_MODE);
    let file = options.open(&part).await.with_context(|| format!("opening {}", part.display()))?;
    let mut writer = tokio::io::BufWriter::with_capacity(1 << 20, file);
    // Hidden by indicatif itself when stderr is not a terminal.
    let bar = ProgressBar::new(header.size_bytes.max(0) as u64).with_style(
        ProgressStyle::with_template("{bytes}/{total_bytes} [{wide_bar}] {bytes_per_sec} {eta}")
            .expect("a valid template"),
    );
    bar.set_position(offset);
    let mut size = offset;
    let received: anyhow::Result<()> = async {
        while let Some(message) = stream.message().await.map_err(failed("DownloadExport"))? {
            match message.payload {
                Some(pb::download_export_response::Payload::Chunk(chunk)) => {
                    writer.write_all(&chunk).await?;
                    hasher.update(&chunk);
                    size += chunk.len() as u64;
                    bar.set_position(size);
                }
                _ => bail!("DownloadExport: privacyd sent a second header"),
            }
        }
        Ok(())
    }
    .await;
    // What arrived is kept, even when the stream broke: the next run resumes from it.
    writer.flush().await?;
    writer.get_ref().sync_all().await?;
    bar.finish_and_clear();
    received
        .with_context(|| format!("{} holds the first {size} bytes; run the command again to resume", part.display()))?;

    if size != header.size_bytes as u64 {
        bail!(
            "the download ended at {size} bytes but the archive has {}; run the command again to resume from {}",
            header.size_bytes,
            part.display()
        );
    }
    let sha256 = hex::encode(hasher.finalize());
    if sha256 != header.sha256 {
        // A part that does not add up to the archive cannot be resumed into one.
        tokio::fs::remove_file(&part).await?;
        bail!(
            "SHA-256 mismatch: privacyd says the archive is {}, the downloaded file is {sha256}; removed {}, run the command again to download it from the start",
            header.sha256,
            part.display()
        );
    }
    tokio::fs::rename(&part, &out)
        .await
        .with_context(|| format!("renaming {} to {}", part.display(), out.display()))?;
    if json {
        // The stream's first message, as grpcurl prints it; the chunks that follow are the
        // archive, which is in the file.
        let first = pb::DownloadExportResponse { payload: Some(pb::download_export_response::Payload::Header(header)) };
        println!("{}", output::json(&first, "privacy.v1.DownloadExportResponse"));
    } else {
        let resumed = if offset > 0 { format!(", resumed at byte {offset}") } else { String::new() };
        println!("saved {} ({size} bytes, sha256 {sha256} verified{resumed})", out.display());
    }
    Ok(ExitCode::SUCCESS)
}
