//! CSV rows over the decoded text: a header looked up by normalised name, cells unwrapped from
//! Excel protection, and the line each row starts on.

use super::decode::DecodingReader;
use csv::StringRecord;
use std::collections::{HashMap, VecDeque};
use std::io::Read;

/// Header names compared without spaces, BOMs or case (`收货地址 ` = `收货地址`,
/// `Financial Status` = `financial status`).
pub(crate) fn normalise(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '\u{feff}' | '\u{200b}' | '"'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Undoes what spreadsheets and exporters do to keep ids as text: `="123"`, `'123`, a tab.
pub fn unwrap_cell(raw: &str) -> &str {
    let cell = raw.trim();
    if let Some(inner) = cell.strip_prefix("=\"").and_then(|s| s.strip_suffix('"')) {
        return inner.trim();
    }
    cell.strip_prefix('\'').map_or(cell, str::trim)
}

pub(crate) struct Header {
    columns: HashMap<String, usize>,
    names: Vec<String>,
}

impl Header {
    fn new(record: &StringRecord) -> Self {
        let mut columns = HashMap::new();
        for (i, name) in record.iter().enumerate() {
            columns.entry(normalise(name)).or_insert(i);
        }
        Self {
            columns,
            names: record.iter().map(|n| n.trim().to_owned()).collect(),
        }
    }

    pub(crate) fn has(&self, name: &str) -> bool {
        self.columns.contains_key(&normalise(name))
    }

    /// Of the given names, those the header lacks.
    pub(crate) fn missing(&self, required: &[&str]) -> Vec<String> {
        required
            .iter()
            .filter(|c| !self.has(c))
            .map(|c| (*c).to_owned())
            .collect()
    }

    fn index(&self, name: &str) -> Option<usize> {
        self.columns.get(&normalise(name)).copied()
    }
}

/// One data row with its header.
pub(crate) struct Row<'a> {
    pub(crate) line: u64,
    record: &'a StringRecord,
    header: &'a Header,
}

impl<'a> Row<'a> {
    pub(crate) fn new(line: u64, record: &'a StringRecord, header: &'a Header) -> Self {
        Self {
            line,
            record,
            header,
        }
    }

    /// The unwrapped, trimmed cell; `None` when the column is absent or the cell empty.
    pub(crate) fn get(&self, column: &str) -> Option<&'a str> {
        let cell = unwrap_cell(self.record.get(self.header.index(column)?)?);
        (!cell.is_empty()).then_some(cell)
    }

    /// The first of several alternative columns that has a value.
    pub(crate) fn first(&self, columns: &[&str]) -> Option<&'a str> {
        columns.iter().find_map(|c| self.get(c))
    }

    /// A required cell, or a reason naming the column.
    pub(crate) fn require(&self, column: &str) -> Result<&'a str, String> {
        self.get(column)
            .ok_or_else(|| format!("{column}: is empty"))
    }

    /// The first column whose cell could not be decoded, if any.
    pub(crate) fn undecodable_column(&self) -> Option<&'a str> {
        let at = self.record.iter().position(|c| c.contains('\u{fffd}'))?;
        Some(
            self.header
                .names
                .get(at)
                .map_or("(unnamed column)", String::as_str),
        )
    }
}

/// Where each record starts and on which line, found by a light CSV scan of the text the csv
/// reader consumes: the csv reader's own position counts blank lines it skipped into the next
/// record. Holds only the starts the csv reader has buffered ahead.
struct LineTracker<R> {
    inner: R,
    offset: u64,
    line: u64,
    state: Scan,
    at_record_start: bool,
    starts: VecDeque<(u64, u64)>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Scan {
    FieldStart,
    Unquoted,
    Quoted,
    QuoteInQuoted,
}

impl<R: Read> LineTracker<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            offset: 0,
            line: 1,
            state: Scan::FieldStart,
            at_record_start: true,
            starts: VecDeque::new(),
        }
    }

    fn scan(&mut self, bytes: &[u8]) {
        for &b in bytes {
            let at = self.offset;
            self.offset += 1;
            if b == b'\n' {
                self.line += 1;
            }
            let newline = b == b'\n' || b == b'\r';
            if self.state == Scan::Quoted {
                if b == b'"' {
                    self.state = Scan::QuoteInQuoted;
                }
                continue;
            }
            if newline {
                self.state = Scan::FieldStart;
                self.at_record_start = true;
                continue;
            }
            if std::mem::replace(&mut self.at_record_start, false) {
                self.starts.push_back((at, self.line));
            }
            self.state = match (self.state, b) {
                (_, b',') => Scan::FieldStart,
                (Scan::FieldStart | Scan::QuoteInQuoted, b'"') => Scan::Quoted,
                _ => Scan::Unquoted,
            };
        }
    }

    /// The line of the first record starting at or after `byte`, where the csv reader began.
    fn line_from(&mut self, byte: u64) -> Option<u64> {
        while self.starts.front().is_some_and(|(start, _)| *start < byte) {
            self.starts.pop_front();
        }
        self.starts.pop_front().map(|(_, line)| line)
    }
}

impl<R: Read> Read for LineTracker<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.scan(&buf[..n]);
        Ok(n)
    }
}

pub(crate) enum Next {
    Row(u64, StringRecord),
    End,
    Failed(String),
}

/// Data rows of a CSV file, blank rows skipped.
pub(crate) struct CsvRows<R: Read> {
    reader: csv::Reader<LineTracker<DecodingReader<R>>>,
    pub(crate) header: Header,
}

impl<R: Read> CsvRows<R> {
    /// Reads the header row (the first non-blank record).
    pub(crate) fn open(decoded: DecodingReader<R>) -> Result<Self, String> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(LineTracker::new(decoded));
        let mut record = StringRecord::new();
        loop {
            match reader.read_record(&mut record) {
                Ok(true) if is_blank(&record) => {}
                Ok(true) => break,
                Ok(false) => return Err("has no header row".into()),
                Err(e) => return Err(format!("could not be read: {e}")),
            }
        }
        Ok(Self {
            header: Header::new(&record),
            reader,
        })
    }

    pub(crate) fn encoding(&self) -> &'static str {
        self.reader.get_ref().inner.encoding_name()
    }

    pub(crate) fn next_row(&mut self) -> Next {
        loop {
            let mut record = StringRecord::new();
            match self.reader.read_record(&mut record) {
                Ok(true) if is_blank(&record) => {}
                Ok(true) => {
                    let (byte, line) = record.position().map_or((0, 0), |p| (p.byte(), p.line()));
                    let line = self.reader.get_mut().line_from(byte).unwrap_or(line);
                    return Next::Row(line, record);
                }
                Ok(false) => return Next::End,
                Err(e) => return Next::Failed(e.to_string()),
            }
        }
    }
}

fn is_blank(record: &StringRecord) -> bool {
    record.iter().all(|c| c.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn excel_protection_is_removed() {
        assert_eq!(unwrap_cell("=\"3001234567890\""), "3001234567890");
        assert_eq!(unwrap_cell("'13812345678"), "13812345678");
        assert_eq!(unwrap_cell("\t123\t"), "123");
        assert_eq!(unwrap_cell("=SUM"), "=SUM");
    }

    #[test]
    fn header_names_ignore_spaces_and_case() {
        let header = Header::new(&StringRecord::from(vec![" 收货地址 ", "Financial Status"]));
        assert!(header.has("收货地址") && header.has("financial status"));
        assert_eq!(
            header.missing(&["订单编号", "收货地址"]),
            vec!["订单编号".to_owned()]
        );
    }

    #[test]
    fn rows_know_their_line_across_quoted_newlines() {
        let text = "id,note\n\n1,\"two\n\nlines\"\r\n\r\n\r\n2,x\n  \n3,y\n\n";
        let mut rows =
            CsvRows::open(DecodingReader::open(text.as_bytes()).expect("opens")).expect("header");
        let mut lines = Vec::new();
        while let Next::Row(line, _) = rows.next_row() {
            lines.push(line);
        }
        assert_eq!(lines, vec![3, 8, 10]);
    }

    proptest! {
        #[test]
        fn unwrapping_round_trips(id in "[0-9A-Za-z-]{1,24}") {
            let formula = format!("=\"{id}\"");
            let quoted = format!("'{id}");
            prop_assert_eq!(unwrap_cell(&formula), id.as_str());
            prop_assert_eq!(unwrap_cell(&quoted), id.as_str());
            prop_assert_eq!(unwrap_cell(&id), id.as_str());
        }
    }
}
