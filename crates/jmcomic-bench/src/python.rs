//! The Python side: a venv with `jmcomic==2.7.10`, the driver that downloads through the
//! package's public API, and the Pillow codec-limit probe.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// The version compared against.
pub const JMCOMIC_VERSION: &str = "2.7.10";

/// The `img2pdf` the package's `img2pdf` plugin (`Feature.export_pdf`) imports; 2.7.10 does
/// not install it. Pinned so that exports runs stay comparable.
pub const IMG2PDF_VERSION: &str = "0.6.3";

/// The downloader. Public API only (`create_option_by_str`, `download_album` with a list of
/// ids = `download_batch`, one thread per album, the package's default threading inside);
/// the two `JmModuleConfig` assignments are the documented module configuration:
///
/// * `FLAG_API_CLIENT_AUTO_UPDATE_DOMAIN = False`: otherwise the API client first asks the
///   real domain servers (on the internet) for a domain list;
/// * `DOMAIN_IMAGE_LIST`: the API client takes each chapter's image host from this list
///   (`jm_toolkit.py`, read when a chapter is fetched, not at import), not from the option.
///
/// `client.postman.meta_data.verify: false` reaches curl_cffi: the postman merges its
/// `meta_data` into the keyword arguments of every request.
pub const DRIVER: &str = r#""""jmcomic-bench driver: download albums with jmcomic (Python) through its public API."""
import json
import sys

with open(sys.argv[1], encoding='utf-8') as f:
    cfg = json.load(f)

import jmcomic
from jmcomic import JmModuleConfig

jmcomic.disable_jm_log()
JmModuleConfig.FLAG_API_CLIENT_AUTO_UPDATE_DOMAIN = False
JmModuleConfig.DOMAIN_IMAGE_LIST = [cfg['image_domain']]

option = jmcomic.create_option_by_str(cfg['option_yaml'])
result = jmcomic.download_album(cfg['ids'], option)
failed = {str(k): repr(v) for k, v in getattr(result, 'failed', {}).items()}
print(json.dumps({'failed': failed}))
sys.exit(1 if failed else 0)
"#;

/// Times Pillow on the pages of a workload, single-threaded, exactly as 2.7.10 saves a page
/// (`JmImageResp.transfer_to`): `decode_and_save` when decoding and the page is scrambled
/// (`decide_download_image_decode` turns decoding off for strip count 0), else
/// `save_resp_img` (a plain write when the suffix does not change, else open and save). Output goes to
/// `/dev/shm` when it exists, so the disk is not timed. Prints `{"ms_per_page": X}`: per
/// distinct input the median of `reps` timings, weighted by how often the input occurs.
pub const PILLOW_PROBE: &str = r#""""jmcomic-bench: Pillow's per-page CPU cost on a workload, as jmcomic 2.7.10 does it."""
import json
import os
import statistics
import sys
import tempfile
import time

with open(sys.argv[1], encoding='utf-8') as f:
    cfg = json.load(f)

from jmcomic import JmImageTool

tmp = tempfile.mkdtemp(dir='/dev/shm' if os.path.isdir('/dev/shm') else None)
out = os.path.join(tmp, 'page' + cfg['out_suffix'])
total = 0.0
pages = 0
try:
    for job in cfg['jobs']:
        with open(job['file'], 'rb') as f:
            data = f.read()
        times = []
        for _ in range(cfg['reps']):
            t = time.perf_counter()
            if cfg['decode'] and job['strips'] != 0:
                JmImageTool.decode_and_save(job['strips'], JmImageTool.open_image(data), out)
            elif cfg['convert']:
                JmImageTool.save_image(JmImageTool.open_image(data), out)
            else:
                with open(out, 'wb') as f:
                    f.write(data)
            times.append(time.perf_counter() - t)
        total += statistics.median(times) * 1000 * job['count']
        pages += job['count']
finally:
    if os.path.exists(out):
        os.remove(out)
    os.rmdir(tmp)
print(json.dumps({'ms_per_page': total / max(pages, 1)}))
"#;

/// The exports driver: downloads (pages already on disk are reused: `download.cache: true`)
/// with `extra=` the features named in the config, through the public API only. The log stays
/// on (`log: true`) but goes to a function that keeps only failures (topics with `error`,
/// `exception`, `failed` or `validation`): the package logs a failing feature
/// (`downloader.feature.exception`) and carries on, so without it a failed export would be
/// silent. Writes `{"failed": ..., "problems": [...]}` to `result_file`.
pub const EXPORT_DRIVER: &str = r#""""jmcomic-bench exports driver: download with extra= features through jmcomic's public API."""
import json
import sys

with open(sys.argv[1], encoding='utf-8') as f:
    cfg = json.load(f)

import jmcomic
from jmcomic import Feature, JmModuleConfig

problems = []


def keep_failures(topic, msg, e=None):
    if any(word in topic for word in ('error', 'exception', 'failed', 'validation')):
        line = f'[{topic}] {msg}' + (f' ({type(e).__name__}: {e})' if e is not None else '')
        problems.append(line)
        print(line, file=sys.stderr, flush=True)


JmModuleConfig.EXECUTOR_LOG = keep_failures
JmModuleConfig.FLAG_API_CLIENT_AUTO_UPDATE_DOMAIN = False
JmModuleConfig.DOMAIN_IMAGE_LIST = [cfg['image_domain']]

option = jmcomic.create_option_by_str(cfg['option_yaml'])
extra = [getattr(Feature, name) for name in cfg['features']] or None
result = jmcomic.download_album(cfg['ids'], option, extra=extra)
failed = {str(k): repr(v) for k, v in getattr(result, 'failed', {}).items()}
with open(cfg['result_file'], 'w', encoding='utf-8') as f:
    json.dump({'failed': failed, 'problems': problems}, f)
sys.exit(1 if failed or problems else 0)
"#;

fn venv_python(venv: &Path) -> PathBuf {
    venv.join("bin").join("python")
}

fn has_packages(python: &Path) -> bool {
    Command::new(python)
        .args([
            "-c",
            &format!(
                "import jmcomic, img2pdf, sys; sys.exit(0 if jmcomic.__version__ == '{JMCOMIC_VERSION}' \
                 and img2pdf.__version__ == '{IMG2PDF_VERSION}' else 1)"
            ),
        ])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The venv's interpreter, creating the venv and installing `jmcomic==2.7.10` and
/// `img2pdf==0.6.3` unless a venv with those versions is already there.
pub fn ensure_venv(system_python: &str, venv: &Path) -> Result<PathBuf> {
    let python = venv_python(venv);
    if python.exists() && has_packages(&python) {
        return Ok(python);
    }
    eprintln!(
        "bench: setting up {} with jmcomic=={JMCOMIC_VERSION} and img2pdf=={IMG2PDF_VERSION} (pip, needs PyPI)",
        venv.display()
    );
    if !python.exists() {
        let status = Command::new(system_python)
            .args(["-m", "venv"])
            .arg(venv)
            .status()
            .with_context(|| format!("cannot run {system_python} -m venv"))?;
        if !status.success() {
            bail!("{system_python} -m venv {} failed", venv.display());
        }
    }
    let status = Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            &format!("jmcomic=={JMCOMIC_VERSION}"),
            &format!("img2pdf=={IMG2PDF_VERSION}"),
        ])
        .status()
        .context("cannot run pip")?;
    if !status.success() || !has_packages(&python) {
        bail!("pip install jmcomic=={JMCOMIC_VERSION} img2pdf=={IMG2PDF_VERSION} failed");
    }
    Ok(python)
}

/// `jmcomic X, Pillow Y (libwebp Z), img2pdf W, Python V` for the report.
pub fn versions(python: &Path) -> String {
    let script = "import sys, jmcomic, PIL, img2pdf; from PIL import features; \
                  print(f\"jmcomic {jmcomic.__version__}, Pillow {PIL.__version__} \
                  (libwebp {features.version('webp')}), img2pdf {img2pdf.__version__}, \
                  Python {sys.version.split()[0]}\")";
    Command::new(python)
        .args(["-c", script])
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map_or_else(|| "unknown".to_owned(), |s| s.trim().to_owned())
}

/// The option file text for one exports run: [`option_yaml`] with the log on (the driver
/// keeps only failures) and `download.cache: true` (pages already on disk are reused; the
/// package's default, written out).
pub fn export_option_yaml(out: &Path, api_domain: &str, suffix: Option<&str>) -> String {
    let base = option_yaml(out, api_domain, suffix, true);
    let body = base.strip_prefix("log: false\n").unwrap_or(&base);
    format!("log: true\n{body}  cache: true\n")
}

/// The option file text for one Python run.
pub fn option_yaml(out: &Path, api_domain: &str, suffix: Option<&str>, decode: bool) -> String {
    // The package builds `https://{domain}{path}` from a bare domain (spec §6.1.2).
    let domain = api_domain.trim_start_matches("https://");
    let quote = |s: &str| serde_json::Value::from(s).to_string();
    format!(
        "log: false\n\
         client:\n  impl: api\n  domain: [{domain}]\n  retry_times: 2\n  postman:\n    meta_data:\n      verify: false\n      proxies: null\n\
         dir_rule:\n  base_dir: {base}\n  rule: Bd_Aid_Pindex\n\
         download:\n  image:\n    suffix: {suffix}\n    decode: {decode}\n",
        domain = quote(domain),
        base = quote(&out.to_string_lossy()),
        suffix = suffix.map_or_else(|| "null".to_owned(), quote),
    )
}
