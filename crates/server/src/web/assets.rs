//! The browser assets, embedded in the binary so the product runs with no
//! internet and no build step: our own stylesheet and htmx (pinned from npm,
//! see `scripts/vendor-assets`). Each is served under a name carrying a hash
//! of its content, so it can be cached for a year and a new build can never
//! be shown a stale copy.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

struct Asset {
    /// The name templates ask for, e.g. `app.css`.
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../../assets/app.css"),
    },
    Asset {
        name: "htmx.min.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../assets/htmx.min.js"),
    },
];

/// Each asset with its served file name (`app.1a2b3c4d5e6f.css`) and address.
struct Served {
    asset: &'static Asset,
    file: String,
    url: String,
    etag: String,
}

static SERVED: LazyLock<Vec<Served>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|asset| {
            let digest = Sha256::digest(asset.bytes);
            let hash: String = digest
                .iter()
                .take(6)
                .map(|byte| format!("{byte:02x}"))
                .collect();
            let file = match asset.name.split_once('.') {
                Some((stem, extension)) => format!("{stem}.{hash}.{extension}"),
                None => format!("{}.{hash}", asset.name),
            };
            Served {
                asset,
                etag: format!("\"{hash}\""),
                url: format!("/assets/{file}"),
                file,
            }
        })
        .collect()
});

/// The address of an asset by its plain name; unknown names give an address
/// that answers 404 (and a test notices).
pub fn url(name: &str) -> &'static str {
    SERVED
        .iter()
        .find(|served| served.asset.name == name)
        .map(|served| served.url.as_str())
        .unwrap_or("/assets/missing")
}

/// `GET /assets/{file}`: an embedded asset, cacheable for a year.
pub async fn serve_asset(Path(file): Path<String>) -> Response {
    let Some(served) = SERVED.iter().find(|served| served.file == file) else {
        return super::WebError::NotFound.into_response();
    };
    let mut response = (StatusCode::OK, served.asset.bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(served.asset.content_type),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    if let Ok(etag) = HeaderValue::from_str(&served.etag) {
        headers.insert(header::ETAG, etag);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}
