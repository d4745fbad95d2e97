//! Forms that carry a file (`multipart/form-data`), with the same CSRF check
//! as every other form. Only what a browser sends for a plain HTML form is
//! read: named text fields and files, each part in full; the body limit of
//! the whole application applies, so a part can never be larger than that.

use super::{CSRF_FIELD, FormData, Viewer, WebError, same_token};
use crate::AppState;
use axum::extract::{FromRequest, FromRequestParts, Request};
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
        let boundary = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .and_then(multipart_boundary);
        let bytes = axum::body::to_bytes(body, state.config.body_limit)
            .await
            .map_err(|_| WebError::BadForm)?;
        let (form, files) = match boundary {
            Some(boundary) => parse_multipart(&bytes, &boundary).ok_or(WebError::BadForm)?,
            None => (FormData::parse(&bytes), Vec::new()),
        };
        if !same_token(form.get(CSRF_FIELD), &viewer.csrf) {
            return Err(WebError::Csrf);
        }
        Ok(SignedUpload {
            viewer,
            form,
            files,
        })
    }
}

/// The boundary of a `multipart/form-data` content type.
fn multipart_boundary(content_type: &str) -> Option<String> {
    let mut pieces = content_type.split(';').map(str::trim);
    if !pieces.next()?.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    pieces
        .filter_map(|piece| piece.split_once('='))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, value)| value.trim().trim_matches('"').to_owned())
        .filter(|boundary| !boundary.is_empty() && boundary.len() <= 200)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// A parameter of a `Content-Disposition` header (`name="csv"`).
fn disposition_parameter(headers: &str, parameter: &str) -> Option<String> {
    headers
        .split("\r\n")
        .find(|line| {
            line.split_once(':')
                .is_some_and(|(name, _)| name.trim().eq_ignore_ascii_case("content-disposition"))
        })?
        .split(';')
        .skip(1)
        .filter_map(|piece| piece.split_once('='))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case(parameter))
        .map(|(_, value)| value.trim().trim_matches('"').to_owned())
}

/// Splits a multipart body into text fields and files; `None` when it is not
/// well-formed (the page then says the form could not be read).
fn parse_multipart(body: &[u8], boundary: &str) -> Option<(FormData, Vec<UploadedFile>)> {
    let delimiter = format!("--{boundary}").into_bytes();
    let separator = [b"\r\n".as_slice(), &delimiter].concat();
    let mut fields = Vec::new();
    let mut files = Vec::new();
    let mut rest = &body[find(body, &delimiter)? + delimiter.len()..];
    loop {
        if rest.starts_with(b"--") {
            return Some((FormData(fields), files));
        }
        rest = rest.strip_prefix(b"\r\n")?;
        let header_end = find(rest, b"\r\n\r\n")?;
        let headers = std::str::from_utf8(&rest[..header_end]).ok()?;
        rest = &rest[header_end + 4..];
        let end = find(rest, &separator)?;
        let content = &rest[..end];
        rest = &rest[end + separator.len()..];
        let name = disposition_parameter(headers, "name")?;
        match disposition_parameter(headers, "filename") {
            Some(filename) => files.push(UploadedFile {
                field: name,
                filename,
                bytes: content.to_vec(),
            }),
            None => fields.push((name, String::from_utf8_lossy(content).into_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_browser_form_with_a_file_is_read_whole() {
        let body = "preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\nabc\r\n\
             --XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"people.csv\"\r\nContent-Type: text/csv\r\n\r\n\
             email,name\r\na@example.com,A\r\n\r\n--XyZ\r\nContent-Disposition: form-data; name=\"partial\"\r\n\r\ntrue\r\n--XyZ--\r\n";
        let boundary = multipart_boundary("multipart/form-data; boundary=XyZ");
        assert_eq!(boundary.as_deref(), Some("XyZ"));
        let (form, files) = parse_multipart(body.as_bytes(), "XyZ").unwrap_or_default();
        assert_eq!(form.get("csrf_token"), "abc");
        assert!(form.has("partial"));
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].filename, "people.csv");
        assert_eq!(files[0].bytes, b"email,name\r\na@example.com,A\r\n");
    }

    #[test]
    fn a_truncated_body_is_refused() {
        let body = "--XyZ\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\nabc";
        assert!(parse_multipart(body.as_bytes(), "XyZ").is_none());
        assert!(multipart_boundary("application/x-www-form-urlencoded").is_none());
    }
}
