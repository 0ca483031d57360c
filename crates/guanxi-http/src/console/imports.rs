//! Imports: upload a channel's export (Taobao, JD, Shopify, CSV), watch it run, read the rows it
//! rejected. The upload streams into an anonymous temporary file (gone from the disk as soon as
//! the import ends, or the process does); the import itself is `guanxi_app::uploaded_import`.

use super::page::{Chrome, Page, invalid_text, render, render_status};
use super::session::{ClientIp, Staff};
use super::show::local_time;
use crate::AppState;
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use guanxi_app::uploaded_import::{self, Importer, StartError, Upload};
use guanxi_channels::import::ImportFormat;
use guanxi_domain::access::{Action, Resource};
use guanxi_store::{ImportRecord, ImportStatus, StoreError};
use std::io::{Seek, SeekFrom};
use tokio::io::AsyncWriteExt;

const LISTED: u32 = 50;

/// An import as a row of the list or the head of its own page.
struct ImportLine {
    id: i64,
    file_name: String,
    source: String,
    /// `import_format.<format>`
    format_key: String,
    /// `import_status.<status>`
    status_key: String,
    status: &'static str,
    started: String,
    /// 0–100, from the bytes read.
    percent: i64,
    rows_read: i64,
    imported: i64,
    updated: i64,
    unchanged: i64,
    rejected: i64,
    error: Option<String>,
}

impl ImportLine {
    fn new(i: &ImportRecord, state: &AppState) -> Self {
        let status = i.status_at(chrono::Utc::now().timestamp_millis());
        let percent = match status {
            ImportStatus::Done => 100,
            _ => (i.progress.bytes_read * 100)
                .checked_div(i.size_bytes)
                .unwrap_or(0)
                .clamp(0, 100),
        };
        Self {
            id: i.id,
            file_name: i.file_name.clone(),
            source: i.source.clone(),
            format_key: format!("import_format.{}", i.format),
            status_key: format!("import_status.{}", status.as_str()),
            status: status.as_str(),
            started: local_time(i.created_at, state.settings.current().time_zone),
            percent,
            rows_read: i.progress.rows_read,
            imported: i.progress.imported,
            updated: i.progress.updated,
            unchanged: i.progress.unchanged,
            rejected: i.progress.rejected,
            error: i.error.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "console/imports.html")]
struct ImportsPage {
    c: Chrome,
    may_upload: bool,
    formats: Vec<&'static str>,
    lines: Vec<ImportLine>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "console/import.html")]
struct ImportPage {
    c: Chrome,
    summary: ImportLine,
    /// Why a failed import stopped.
    failure: Option<String>,
    running: bool,
    rejected_rows: Vec<(i64, String)>,
    /// Rejected rows beyond those kept.
    more_rejected: i64,
}

fn may(staff: &Staff, action: Action) -> bool {
    staff
        .signed_in
        .principal
        .require(Resource::Imports, action)
        .is_ok()
}

async fn list_page(state: &AppState, staff: &Staff, error: Option<String>) -> Response {
    let imports = match state.store.recent_imports(LISTED).await {
        Ok(imports) => imports,
        Err(e) => return Page::internal(staff.tr, &e).into_response(),
    };
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let page = ImportsPage {
        c: Chrome::new(staff, "/imports"),
        may_upload: may(staff, Action::Create),
        formats: ImportFormat::all().map(|f| f.as_str()).collect(),
        lines: imports.iter().map(|i| ImportLine::new(i, state)).collect(),
        error,
    };
    render_status(&page, status)
}

pub async fn list(State(state): State<AppState>, staff: Staff) -> Response {
    if !may(&staff, Action::View) {
        return Page::forbidden(staff.tr).into_response();
    }
    list_page(&state, &staff, None).await
}

pub async fn show(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> Response {
    if !may(&staff, Action::View) {
        return Page::forbidden(staff.tr).into_response();
    }
    let import = match state.store.import(id).await {
        Ok(import) => import,
        Err(StoreError::NotFound(_)) => return Page::not_found(staff.tr).into_response(),
        Err(e) => return Page::internal(staff.tr, &e).into_response(),
    };
    let summary = ImportLine::new(&import, &state);
    let kept = i64::try_from(import.rejected_rows.len()).unwrap_or(i64::MAX);
    render(&ImportPage {
        c: Chrome::new(&staff, "/imports"),
        running: summary.status == ImportStatus::Running.as_str(),
        failure: summary.error.clone(),
        more_rejected: (summary.rejected - kept).max(0),
        rejected_rows: import
            .rejected_rows
            .into_iter()
            .map(|r| (r.line, r.reason))
            .collect(),
        summary,
    })
}

/// Why an upload was refused, as the page says it.
enum Refusal {
    Page(Page),
    /// Shown above the form again: (field, reason).
    Invalid(&'static str, String),
}

impl From<Page> for Refusal {
    fn from(page: Page) -> Self {
        Self::Page(page)
    }
}

/// The form's fields: the CSRF token first (so nothing is written before it checks out), then
/// the format, the source and the file, streamed to disk.
struct UploadForm {
    format: ImportFormat,
    source: String,
    upload: Upload,
}

async fn read_form(
    staff: &Staff,
    limit: usize,
    mut multipart: Multipart,
) -> Result<UploadForm, Refusal> {
    let mut csrf_checked = false;
    let mut format = None;
    let mut source = String::new();
    let mut upload = None;
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(|e| multipart_refusal(staff, limit, &e))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        if !csrf_checked {
            let token = if name == "csrf" {
                field.text().await.unwrap_or_default()
            } else {
                String::new()
            };
            staff.check_csrf(token.trim())?;
            csrf_checked = true;
            continue;
        }
        match name.as_str() {
            "format" => {
                let raw = field
                    .text()
                    .await
                    .map_err(|e| multipart_refusal(staff, limit, &e))?;
                format = Some(
                    raw.parse::<ImportFormat>()
                        .map_err(|reason| Refusal::Invalid("format", reason))?,
                );
            }
            "source" => {
                source = field
                    .text()
                    .await
                    .map_err(|e| multipart_refusal(staff, limit, &e))?
            }
            "file" => {
                let file_name = field.file_name().unwrap_or_default().to_owned();
                let (file, size_bytes) = spool(staff, limit, &mut field).await?;
                upload = Some(Upload {
                    file: Box::new(file),
                    file_name,
                    size_bytes,
                });
            }
            _ => {}
        }
    }
    if !csrf_checked {
        return Err(Page::forged(staff.tr).into());
    }
    let format = format.ok_or_else(|| Refusal::Invalid("format", "is missing".to_owned()))?;
    let upload = upload.ok_or_else(|| Refusal::Invalid("file", "is missing".to_owned()))?;
    Ok(UploadForm {
        format,
        source,
        upload,
    })
}

/// Copies the file field into an anonymous temporary file; answers it, rewound, and its size.
async fn spool(
    staff: &Staff,
    limit: usize,
    field: &mut axum::extract::multipart::Field<'_>,
) -> Result<(std::fs::File, u64), Refusal> {
    let failed = |e: std::io::Error| Refusal::Page(Page::internal(staff.tr, &e));
    let file = tempfile::tempfile().map_err(failed)?;
    let mut file = tokio::fs::File::from_std(file);
    let mut size = 0_u64;
    while let Some(chunk) = field
        .chunk()
        .await
        .map_err(|e| multipart_refusal(staff, limit, &e))?
    {
        size += chunk.len() as u64;
        file.write_all(&chunk).await.map_err(failed)?;
    }
    file.flush().await.map_err(failed)?;
    let mut file = file.into_std().await;
    file.seek(SeekFrom::Start(0)).map_err(failed)?;
    Ok((file, size))
}

/// A multipart error: the upload was over the limit, or the request was not a whole form.
fn multipart_refusal(
    staff: &Staff,
    limit_bytes: usize,
    e: &axum::extract::multipart::MultipartError,
) -> Refusal {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        let limit = (limit_bytes / (1024 * 1024)).to_string();
        Refusal::Page(Page::new(
            staff.tr,
            StatusCode::PAYLOAD_TOO_LARGE,
            staff.tr.fill("imports.too_large", &[("mb", &limit)]),
        ))
    } else {
        Refusal::Invalid("file", e.body_text())
    }
}

pub async fn upload(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    staff: Staff,
    multipart: Multipart,
) -> Response {
    if !may(&staff, Action::Create) {
        return Page::forbidden(staff.tr).into_response();
    }
    let form = match read_form(&staff, state.max_upload_bytes, multipart).await {
        Ok(form) => form,
        Err(Refusal::Page(page)) => return page.into_response(),
        Err(Refusal::Invalid(field, reason)) => {
            let text = invalid_text(staff.tr, field, &reason);
            return list_page(&state, &staff, Some(text)).await;
        }
    };
    let importer = Importer {
        store: state.store.clone(),
        ingestor: state.ingestor.clone(),
        settings: state.settings.current(),
    };
    let started = uploaded_import::start(
        importer,
        &staff.signed_in.principal,
        &form.source,
        form.format,
        form.upload,
        ip,
    )
    .await;
    match started {
        Ok(id) => Redirect::to(&format!("/imports/{id}")).into_response(),
        Err(StartError::Denied(_)) => Page::forbidden(staff.tr).into_response(),
        Err(StartError::Invalid(field, reason)) => {
            let text = invalid_text(staff.tr, field, &reason);
            list_page(&state, &staff, Some(text)).await
        }
        Err(e) => Page::internal(staff.tr, &e).into_response(),
    }
}
