//! File imports: a reader of an exported file in, domain records out, one row group at a time.
//!
//! Streaming: the file is decoded incrementally ([`decode`]) and read row by row; only the rows
//! of the order being assembled are held (at most [`MAX_ROWS_PER_ORDER`]). Formats with one row
//! per item (JD, Shopify, `orders-csv`) group *consecutive* rows with the same order id.
//!
//! Errors: whole-file problems are a [`FileError`] from [`open`]. A bad row is a [`RowError`]
//! with its 1-based line and a reason naming the column; iteration goes on with the next row. A
//! bad row inside a multi-row order rejects the whole order, reported at the order's first line.
//! Reasons never quote e-mails, phones, names or addresses; amounts, ids and dates are quoted.
//!
//! IO errors mid-file end the iteration: the last item is a `RowError` saying the file could not
//! be read further, and [`Records::take_io_error`] returns the same failure as a [`FileError`]
//! so a runner can tell "file ended" from "file broke".

mod cells;
mod csv_rows;
mod decode;
mod generic;
mod jd;
mod shopify;
mod taobao;

pub use csv_rows::unwrap_cell;

use csv::StringRecord;
use csv_rows::{CsvRows, Header, Next, Row};
use decode::{CountingReader, DecodingReader, OpenError};
use guanxi_domain::time::Millis;
use guanxi_domain::{Currency, DefaultRegion, OrderInput, ProfileInput, ShopTimeZone, SourceId};
use std::collections::VecDeque;
use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Rows one order may span; beyond it the order is rejected rather than held in memory.
pub const MAX_ROWS_PER_ORDER: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImportFormat {
    Taobao,
    Jd,
    Shopify,
    OrdersCsv,
    CustomersCsv,
}

const FORMAT_NAMES: &[(&str, ImportFormat)] = &[
    ("taobao", ImportFormat::Taobao),
    ("jd", ImportFormat::Jd),
    ("shopify", ImportFormat::Shopify),
    ("orders-csv", ImportFormat::OrdersCsv),
    ("customers-csv", ImportFormat::CustomersCsv),
];

impl ImportFormat {
    pub fn as_str(&self) -> &'static str {
        FORMAT_NAMES
            .iter()
            .find(|(_, f)| f == self)
            .map_or("taobao", |(n, _)| n)
    }

    /// Every format, in the order a form offers them.
    pub fn all() -> impl Iterator<Item = Self> {
        FORMAT_NAMES.iter().map(|(_, f)| *f)
    }

    /// The kind of source a file of this format comes from (a new source is made of it).
    pub fn source_kind(self) -> &'static str {
        match self {
            ImportFormat::Taobao => "taobao",
            ImportFormat::Jd => "jd",
            ImportFormat::Shopify => "shopify",
            ImportFormat::OrdersCsv | ImportFormat::CustomersCsv => "api",
        }
    }
}

impl std::str::FromStr for ImportFormat {
    type Err = String;
    fn from_str(raw: &str) -> Result<Self, String> {
        let raw = raw.trim().to_ascii_lowercase();
        FORMAT_NAMES.iter().find(|(n, _)| *n == raw).map(|(_, f)| *f).ok_or_else(|| {
            format!("unknown import format {raw:?}: use taobao, jd, shopify, orders-csv or customers-csv")
        })
    }
}

impl std::fmt::Display for ImportFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub source: SourceId,
    /// The source's name: scopes `user_id:<name>` and the last-resort `external:<name>` identity.
    pub source_name: String,
    pub region: DefaultRegion,
    /// For formats without a currency column (Taobao, JD) or an empty `currency` cell.
    pub default_currency: Currency,
    /// The zone of times written without an offset (the shop's).
    pub time_zone: ShopTimeZone,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ImportRecord {
    Order(OrderInput),
    Profile(ProfileInput),
}

/// A row (or the order starting on it) that was not imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// 1-based line in the file where the row (or the order's first row) starts.
    pub line: u64,
    /// Names the column and what is wrong with it.
    pub reason: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.reason)
    }
}

impl std::error::Error for RowError {}

#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("the file is empty")]
    Empty,
    #[error("the file {0}")]
    NotText(String),
    #[error("the {format} file lacks required columns: {}", .columns.join(", "))]
    MissingColumns {
        format: ImportFormat,
        columns: Vec<String>,
    },
    #[error("the file {0}")]
    Unreadable(String),
    #[error("reading the file failed: {0}")]
    Io(#[from] std::io::Error),
}

/// What a format parser sees besides the rows.
pub(crate) struct Context {
    pub(crate) options: ImportOptions,
    /// When the import started: `updated_at` of profiles from files that carry no time.
    pub(crate) now: Millis,
}

/// A reason, and the line of the row it is about.
pub(crate) type Fault = (u64, String);

/// One file format: which columns it needs, which rows belong together, how rows become a record.
pub(crate) trait Format: Send {
    /// Required columns the header lacks (empty when it has them all).
    fn missing_columns(&self, header: &Header) -> Vec<String>;
    /// The order id rows are grouped by; `None` makes the row a record on its own.
    fn group_key(&self, row: &Row<'_>) -> Option<String>;
    fn build(&self, rows: &[Row<'_>], ctx: &Context) -> Result<ImportRecord, Fault>;
}

type Source = CountingReader<Box<dyn Read + Send>>;

/// Reads the header and returns the records of the file, lazily.
pub fn open(
    format: ImportFormat,
    reader: Box<dyn Read + Send>,
    options: ImportOptions,
) -> Result<Records, FileError> {
    let (counting, bytes) = CountingReader::new(reader);
    let decoded = DecodingReader::open(counting).map_err(|e| match e {
        OpenError::Io(e) => FileError::Io(e),
        OpenError::Empty => FileError::Empty,
        OpenError::NotText(e) => FileError::NotText(e.to_string()),
    })?;
    let rows = CsvRows::open(decoded).map_err(FileError::Unreadable)?;
    let parser: Box<dyn Format> = match format {
        ImportFormat::Taobao => Box::new(taobao::Taobao),
        ImportFormat::Jd => Box::new(jd::Jd),
        ImportFormat::Shopify => Box::new(shopify::Shopify),
        ImportFormat::OrdersCsv => Box::new(generic::OrdersCsv),
        ImportFormat::CustomersCsv => Box::new(generic::CustomersCsv),
    };
    let columns = parser.missing_columns(&rows.header);
    if !columns.is_empty() {
        return Err(FileError::MissingColumns { format, columns });
    }
    let now = chrono::Utc::now().timestamp_millis();
    Ok(Records {
        rows,
        parser,
        ctx: Context { options, now },
        bytes,
        group: Vec::new(),
        group_key: None,
        overflow: false,
        last_line: 1,
        ready: VecDeque::new(),
        done: false,
        io_error: None,
    })
}

/// The records of one file, in file order. See the module docs for errors.
pub struct Records {
    rows: CsvRows<Source>,
    parser: Box<dyn Format>,
    ctx: Context,
    bytes: Arc<AtomicU64>,
    group: Vec<(u64, StringRecord)>,
    group_key: Option<String>,
    overflow: bool,
    last_line: u64,
    ready: VecDeque<Result<(u64, ImportRecord), RowError>>,
    done: bool,
    io_error: Option<FileError>,
}

impl Records {
    /// Raw bytes consumed from the reader so far (read ahead by at most a few buffers).
    pub fn bytes_read(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// The failure that ended the iteration early, if reading the file broke mid-way.
    pub fn take_io_error(&mut self) -> Option<FileError> {
        self.io_error.take()
    }

    fn flush(&mut self) {
        let rows = std::mem::take(&mut self.group);
        let key = self.group_key.take();
        let overflow = std::mem::replace(&mut self.overflow, false);
        let Some(first) = rows.first().map(|(line, _)| *line) else {
            return;
        };
        let result = if overflow {
            Err(format!(
                "order {} has more than {MAX_ROWS_PER_ORDER} rows and was not imported",
                key.unwrap_or_default()
            ))
        } else {
            let header = &self.rows.header;
            let rows: Vec<Row<'_>> = rows
                .iter()
                .map(|(line, rec)| Row::new(*line, rec, header))
                .collect();
            self.build(&rows, first)
        };
        self.ready.push_back(
            result
                .map(|record| (first, record))
                .map_err(|reason| RowError {
                    line: first,
                    reason,
                }),
        );
    }

    fn build(&self, rows: &[Row<'_>], first: u64) -> Result<ImportRecord, String> {
        let with_line = |(line, reason): Fault| {
            if line == first {
                reason
            } else {
                format!("{reason} (line {line} of this order)")
            }
        };
        for row in rows {
            if let Some(column) = row.undecodable_column() {
                let encoding = self.rows.encoding();
                return Err(with_line((
                    row.line,
                    format!("{column}: contains bytes that are not valid {encoding}"),
                )));
            }
        }
        let record = self.parser.build(rows, &self.ctx).map_err(with_line)?;
        if let ImportRecord::Order(order) = &record {
            order.validate().map_err(|e| e.to_string())?;
        }
        Ok(record)
    }
}

impl Iterator for Records {
    type Item = Result<(u64, ImportRecord), RowError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.ready.pop_front() {
                return Some(item);
            }
            if self.done {
                return None;
            }
            match self.rows.next_row() {
                Next::End => {
                    self.done = true;
                    self.flush();
                }
                Next::Failed(message) => {
                    self.done = true;
                    let line = self
                        .group
                        .first()
                        .map_or(self.last_line + 1, |(line, _)| *line);
                    self.group.clear();
                    self.ready.push_back(Err(RowError {
                        line,
                        reason: format!("the file could not be read from here on ({message}); the rest was not imported"),
                    }));
                    self.io_error = Some(FileError::Unreadable(format!(
                        "could not be read after line {line}: {message}"
                    )));
                }
                Next::Row(line, record) => {
                    self.last_line = line;
                    let key = self
                        .parser
                        .group_key(&Row::new(line, &record, &self.rows.header));
                    if !self.group.is_empty() && (key.is_none() || key != self.group_key) {
                        self.flush();
                    }
                    if self.group.len() < MAX_ROWS_PER_ORDER {
                        self.group.push((line, record));
                    } else {
                        self.overflow = true;
                    }
                    let alone = key.is_none();
                    self.group_key = key;
                    if alone {
                        self.flush();
                    }
                }
            }
        }
    }
}
