//! The names of a source's files in the archive, as people on every operating system open it:
//! Unicode names stay readable (NFC), only what is unsafe somewhere is replaced, names that one
//! system would take as one file (case, trailing dots) or cannot create (device names) are
//! made distinct and safe, and no name fails an export. index.html shows the name the source
//! sent beside each path in the archive.

use std::io::Read;

use futures::StreamExt;
use privacyd::proto::{
    privacy::datasource::v1::{self as ds, data_source_service_server::DataSourceService},
    privacy::v1 as pb,
};
use tonic::{Request, Response, Status};

use crate::{
    fake_source::describe_things,
    fake_source::serve,
    helpers::{Backend, TestApp, state, unique_email},
    on_both_backends,
};

/// A source that sends one small file for each name, in order; the file holds its index.
#[derive(Clone)]
struct NamedFiles(Vec<&'static str>);

#[tonic::async_trait]
impl DataSourceService for NamedFiles {
    async fn describe(&self, _: Request<ds::DescribeRequest>) -> Result<Response<ds::DescribeResponse>, Status> {
        Ok(Response::new(describe_things("named-files")))
    }

    type ExportStream = futures::stream::BoxStream<'static, Result<ds::ExportResponse, Status>>;

    async fn export(&self, _: Request<ds::ExportRequest>) -> Result<Response<Self::ExportStream>, Status> {
        let chunks = self.0.iter().enumerate().map(|(i, name)| {
            let chunk = ds::FileChunk {
                path: (*name).to_owned(),
                data: format!("file {i}").into_bytes(),
                offset: 0,
                eof: true,
                content_type: "text/plain".into(),
                ..Default::default()
            };
            Ok(ds::ExportResponse { payload: Some(ds::export_response::Payload::FileChunk(chunk)) })
        });
        Ok(Response::new(futures::stream::iter(chunks.collect::<Vec<_>>()).boxed()))
    }

    async fn erase(&self, _: Request<ds::EraseRequest>) -> Result<Response<ds::EraseResponse>, Status> {
        Err(Status::unimplemented("this test source only exports"))
    }
}

/// The archive of a completed export, downloaded by the operator.
async fn download(app: &TestApp, id: &str) -> Vec<u8> {
    let mut stream = app
        .client
        .clone()
        .download_export(pb::DownloadExportRequest { id: id.into(), token: String::new(), offset: 0 })
        .await
        .unwrap()
        .into_inner();
    let mut body = Vec::new();
    while let Some(message) = stream.next().await {
        if let pb::download_export_response::Payload::Chunk(chunk) = message.unwrap().payload.unwrap() {
            body.extend(chunk);
        }
    }
    body
}

/// Every name the field reports named, and then some of the same kinds.
const SENT: &[&str] = &[
    "写真.jpg",
    "画像.jpg",
    "résumé.pdf",
    // The same name decomposed, as macOS writes it: one file on macOS, so numbered.
    "re\u{301}sume\u{301}.pdf",
    "CON",
    "nul.txt",
    "COM1.log",
    "LPT9.txt",
    "aux.",
    "report.",
    "report",
    "Readme.txt",
    "README.TXT",
    "x",
    "x/y",
    "...",
    "..../x.txt",
    "Fotos/Ägypten 2024.jpg",
    "FOTOS/ägypten 2024.JPG",
    "a:b?c*.txt",
    "invoice\u{202E}fdp.exe",
];

/// Where each of [`SENT`] lands, under `files/names/`.
const PLACED: &[&str] = &[
    "写真.jpg",
    "画像.jpg",
    "résumé.pdf",
    "résumé-2.pdf",
    "CON_",
    "nul_.txt",
    "COM1_.log",
    "LPT9_.txt",
    "aux_",
    "report",
    "report-2",
    "Readme.txt",
    "README-2.TXT",
    "x",
    "x-2/y",
    "_",
    "_-2/x.txt",
    "Fotos/Ägypten 2024.jpg",
    "Fotos/ägypten 2024-2.JPG",
    "a_b_c_.txt",
    "invoice_fdp.exe",
];

on_both_backends!(file_names_are_safe_and_distinct_everywhere_and_the_sent_names_are_kept);

async fn file_names_are_safe_and_distinct_everywhere_and_the_sent_names_are_kept(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let endpoint = serve(NamedFiles(SENT.to_vec())).await;
    app.registry
        .clone()
        .register_data_source(pb::RegisterDataSourceRequest {
            name: "names".into(),
            endpoint,
            call_timeout: Some(prost_types::Duration { seconds: 10, nanos: 0 }),
            ..Default::default()
        })
        .await
        .unwrap();
    let created = app.create(&unique_email(), pb::Action::Export, false).await;
    app.client
        .clone()
        .process_privacy_request(pb::ProcessPrivacyRequestRequest { id: created.id.clone() })
        .await
        .unwrap();
    let done = app.wait_for(&created.id, "the export to end", |r| state(r) != pb::State::Processing).await;
    assert_eq!(state(&done), pb::State::Completed, "no name fails an export: {}", done.state_reason);

    let body = download(&app, &created.id).await;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(body)).unwrap();
    // Each file under its own name, read back as UTF-8 (the zip's Unicode flag is set), with
    // its own content: nothing overwrote anything.
    for (i, placed) in PLACED.iter().enumerate() {
        let name = format!("files/names/{placed}");
        let mut entry =
            zip.by_name(&name).unwrap_or_else(|_| panic!("{name} (sent as {:?}) is in the archive", SENT[i]));
        let mut content = String::new();
        entry.read_to_string(&mut content).unwrap();
        assert_eq!(content, format!("file {i}"), "{name}");
    }
    let names: Vec<String> =
        zip.file_names().map(|n| n.unwrap().into_owned()).filter(|n| n.starts_with("files/")).collect();
    assert_eq!(names.len(), SENT.len(), "{names:?}");
    let folded: std::collections::HashSet<String> = names.iter().map(|n| n.to_lowercase()).collect();
    assert_eq!(folded.len(), names.len(), "distinct without regard to case: {names:?}");

    // index.html links every file by a URL and shows the name the source sent beside any
    // that was renamed.
    let mut html = String::new();
    zip.by_name("index.html").unwrap().read_to_string(&mut html).unwrap();
    // The template engine writes `/` as an entity (harmless in HTML); read it back as `/`.
    let html = html.replace("&#x2f;", "/");
    assert!(html.contains(r#"<a href="files/names/%E5%86%99%E7%9C%9F.jpg">files/names/写真.jpg</a>"#), "{html}");
    assert!(html.contains(
        r#"<a href="files/names/CON_">files/names/CON_</a></th><td>sent as <bdi class="sent-name">CON</bdi>"#
    ));
    assert!(html.contains(r#"sent as <bdi class="sent-name">README.TXT</bdi>"#));
    assert!(html.contains(r#"sent as <bdi class="sent-name">..../x.txt</bdi>"#));
    assert!(!html.contains(r#"sent as <bdi class="sent-name">写真.jpg"#), "a name kept as sent is not repeated");
}
