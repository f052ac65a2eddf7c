//! Downloads with `client.impl: html`: the web client walks the catalog and the pages on
//! disk are the emulator's originals, the same files an API download writes.

use std::path::Path;

use jmcomic::{JmId, Options, PageOutcome, Target};
use jmcomic_emulator::{Emulator, HostRole};

use crate::support::{Match, check_page, downloader, files_under};

/// Options for the web client on the emulator's web site and CDN.
fn web_options(emu: &Emulator, base: &Path, rule: &str) -> Options {
    let yaml = format!(
        "client:\n  impl: html\n  domain:\n    html: {}\n  image_domain: {}\ndir_rule:\n  base_dir: {}\n  rule: '{rule}'\n",
        serde_json::to_string(&emu.html_domains()).unwrap(),
        serde_json::to_string(&emu.image_domains()).unwrap(),
        serde_json::to_string(&base.display().to_string()).unwrap(),
    );
    Options::from_yaml_str(&yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"))
}

/// Every album of the catalog through the web client: every page written, equal to the
/// original; not one request to the API; and the same files, byte for byte, as a download
/// through the API client.
#[tokio::test]
async fn the_web_client_downloads_the_catalog_as_the_api_client_does() {
    let emu = Emulator::start().unwrap();
    let rule = "Bd / {Aid}-{Atitle} / {Pindex}-{Pname}";
    let (web_dir, api_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let targets: Vec<Target> = emu
        .catalog()
        .albums
        .iter()
        .map(|a| Target::album(JmId::new(a.id)))
        .collect();

    let options = web_options(&emu, web_dir.path(), rule);
    assert!(options.notices().is_empty(), "{:?}", options.notices());
    let dl = downloader(options).build().unwrap();
    assert_eq!(dl.client().protocol(), jmcomic::client::ProtocolKind::Html);
    let batch = dl.batch(targets.clone()).await;
    assert!(batch.all_succeeded(), "{:?}", batch.failures());
    let mut pages = 0;
    let mut kinds = std::collections::HashSet::new();
    for report in batch.reports() {
        for chapter in &report.chapters {
            for page in &chapter.pages {
                assert!(
                    matches!(page.outcome, PageOutcome::Written { .. }),
                    "{page:?}"
                );
                let m = check_page(&emu, chapter.id.get(), &page.file_name, &page.path);
                kinds.insert(std::mem::discriminant(&m));
                pages += 1;
            }
        }
    }
    let catalog_pages: usize = emu
        .catalog()
        .albums
        .iter()
        .flat_map(|a| &a.chapters)
        .map(|c| c.pages.len())
        .sum();
    assert_eq!(pages, catalog_pages);
    assert!(kinds.contains(&std::mem::discriminant(&Match::SameBytes)));
    assert!(kinds.contains(&std::mem::discriminant(&Match::Lossy(0.0, 0.0))));
    let roles: std::collections::HashSet<HostRole> = emu
        .requests()
        .iter()
        .filter_map(|r| emu.host_role(r.host))
        .collect();
    assert_eq!(
        roles,
        [HostRole::Html, HostRole::Cdn].into_iter().collect(),
        "the web client asks the web site and the CDN only"
    );

    let api = crate::support::options(&emu, api_dir.path(), rule, "");
    let batch = downloader(api).build().unwrap().batch(targets).await;
    assert!(batch.all_succeeded(), "{:?}", batch.failures());
    let relative = |dir: &Path| {
        let mut files: Vec<_> = files_under(dir)
            .into_iter()
            .map(|f| f.strip_prefix(dir).unwrap().to_owned())
            .collect();
        files.sort();
        files
    };
    let (web_files, api_files) = (relative(web_dir.path()), relative(api_dir.path()));
    assert_eq!(web_files, api_files);
    assert_eq!(web_files.len(), pages);
    for f in &web_files {
        assert!(
            std::fs::read(web_dir.path().join(f)).unwrap()
                == std::fs::read(api_dir.path().join(f)).unwrap(),
            "{} differs",
            f.display()
        );
    }
}
