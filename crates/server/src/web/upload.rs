//! Forms that carry a file (`multipart/form-data`), with the same CSRF check
//! as every other form. The body is parsed by axum's `Multipart` (multer), a
//! parser made and kept for the job, rather than by hand; named text fields
//! and files are read in full, and the body limit of the whole application
//! applies, so a part can never be larger than that.

use super::{CSRF_FIELD, FormData, Viewer, WebError, same_token};
use crate::AppState;
use axum::extract::{FromRequest, FromRequestParts, Multipart, Request};
use axum::http::header;

/// A file sent with a form.
#[derive(Debug, Clone)]
pub struct UploadedFile {
    /// The form field it came from.
    pub field: String,
    pub filename: String,
    pub bytes: Vec<u8>,
}

/// A form with files, posted by a signed-in person, its CSRF token checked.
/// A form sent without files (urlencoded) is read too.
#[derive(Debug)]
pub struct SignedUpload {
    pub viewer: Viewer,
    pub form: FormData,
    pub files: Vec<UploadedFile>,
}

impl SignedUpload {
    /// The non-empty file sent in `field`, if any.
    pub fn file(&self, field: &str) -> Option<&UploadedFile> {
        self.files
            .iter()
            .find(|file| file.field == field && !file.bytes.is_empty())
    }
}

impl FromRequest<AppState> for SignedUpload {
    type Rejection = WebError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = request.into_parts();
        let viewer = Viewer::from_request_parts(&mut parts, state).await?;
        let is_multipart = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(';').next())
            .is_some_and(|media_type| {
                media_type
                    .trim()
                    .eq_ignore_ascii_case("multipart/form-data")
            });
        let request = Request::from_parts(parts, body);
        let (form, files) = if is_multipart {
            read_multipart(request, state).await?
        } else {
            let bytes = axum::body::to_bytes(request.into_body(), state.config.body_limit)
                .await
                .map_err(|_| WebError::BadForm)?;
            (FormData::parse(&bytes), Vec::new())
        };
        if !same_token(form.get(CSRF_FIELD), &viewer.csrf) {
            return Err(WebError::Csrf);
        }
        // No NUL check here: the one upload form is the import, whose text
        // goes through the CSV parser, which reports a NUL at its line.
        Ok(SignedUpload {
            viewer,
            form,
            files,
        })
    }
}

/// Reads every part with axum's `Multipart` (multer): text fields into the
/// form, parts with a file name into files. The application's body limit
/// bounds the whole body, so no part can be larger than that; a malformed
/// body is a form that could not be read.
async fn read_multipart(
    request: Request,
    state: &AppState,
) -> Result<(FormData, Vec<UploadedFile>), WebError> {
    let mut multipart = Multipart::from_request(request, state)
        .await
        .map_err(|_| WebError::BadForm)?;
    let mut fields = Vec::new();
    let mut files = Vec::new();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|_| WebError::BadForm)?
    {
        let name = field.name().ok_or(WebError::BadForm)?.to_owned();
        let filename = field.file_name().map(str::to_owned);
        let bytes = field.bytes().await.map_err(|_| WebError::BadForm)?;
        match filename {
            Some(filename) => files.push(UploadedFile {
                field: name,
                filename,
                bytes: bytes.to_vec(),
            }),
            None => fields.push((name, String::from_utf8_lossy(&bytes).into_owned())),
        }
    }
    Ok((FormData(fields), files))
}
