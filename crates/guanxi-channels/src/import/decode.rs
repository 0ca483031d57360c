//! Incremental decoding of an import file to UTF-8: BOM first, else a sniff of the first chunk.
//!
//! Pure-ASCII openings are not decided yet (UTF-8 and GB18030 agree on ASCII): the choice is made
//! at the first non-ASCII byte, so an English header over GBK rows still decodes. Malformed
//! sequences later in the file become U+FFFD; the row that holds one is rejected by the parser.

use encoding_rs::{DecoderResult, Encoding, GB18030, UTF_8};
use std::io::{self, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Raw bytes taken from the underlying reader; shared with `Records::bytes_read`.
pub(crate) struct CountingReader<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> CountingReader<R> {
    pub(crate) fn new(inner: R) -> (Self, Arc<AtomicU64>) {
        let count = Arc::new(AtomicU64::new(0));
        (
            Self {
                inner,
                count: Arc::clone(&count),
            },
            count,
        )
    }
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

const CHUNK: usize = 16 * 1024;

/// Why the bytes are not a text file we can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SniffError {
    Nul,
    Control,
    Unknown,
}

impl std::fmt::Display for SniffError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Nul => "contains NUL bytes: not a text file (UTF-16 needs a byte-order mark)",
            Self::Control => "contains control characters: not a text file",
            Self::Unknown => "is neither UTF-8, UTF-16 with a byte-order mark, nor GBK/GB18030",
        })
    }
}

/// Decides the encoding of a chunk with no BOM. `at_eof` says the chunk is the whole rest.
pub(crate) fn sniff(bytes: &[u8], at_eof: bool) -> Result<&'static Encoding, SniffError> {
    if bytes.contains(&0) {
        return Err(SniffError::Nul);
    }
    let utf8 = match std::str::from_utf8(bytes) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none() && !at_eof,
    };
    let encoding = if utf8 { UTF_8 } else { GB18030 };
    let mut decoder = encoding.new_decoder_without_bom_handling();
    let mut text = String::with_capacity(bytes.len() * 3 + 16);
    let (result, _) = decoder.decode_to_string_without_replacement(bytes, &mut text, at_eof);
    if matches!(result, DecoderResult::Malformed(..)) {
        return Err(SniffError::Unknown);
    }
    if text.chars().any(|c| {
        c.is_control() && !matches!(c, '\t' | '\r' | '\n' | '\x0c' | '\x1a') && (c as u32) < 0x20
    }) {
        return Err(SniffError::Control);
    }
    Ok(encoding)
}

/// A `Read` of UTF-8 over a reader in UTF-8, UTF-16 (with BOM) or GB18030.
pub(crate) struct DecodingReader<R> {
    inner: R,
    decoder: Option<encoding_rs::Decoder>,
    encoding: Option<&'static Encoding>,
    input: Vec<u8>,
    start: usize,
    eof: bool,
    output: Vec<u8>,
    out_start: usize,
    finished: bool,
}

impl<R: Read> DecodingReader<R> {
    /// Reads the first chunk and decides (or defers, for pure ASCII) the encoding.
    pub(crate) fn open(mut inner: R) -> Result<Self, OpenError> {
        let mut input = vec![0; CHUNK];
        let mut len = 0;
        while len < CHUNK {
            let n = read_retrying(&mut inner, &mut input[len..]).map_err(OpenError::Io)?;
            if n == 0 {
                break;
            }
            len += n;
        }
        let eof = len < CHUNK;
        input.truncate(len);
        if input.iter().all(|b| b.is_ascii_whitespace()) {
            return Err(OpenError::Empty);
        }
        let (encoding, start) = match Encoding::for_bom(&input) {
            Some((encoding, bom)) => (Some(encoding), bom),
            None if input.is_ascii() => {
                sniff(&input, eof).map_err(OpenError::NotText)?;
                (None, 0)
            }
            None => (Some(sniff(&input, eof).map_err(OpenError::NotText)?), 0),
        };
        Ok(Self {
            inner,
            decoder: encoding.map(Encoding::new_decoder_without_bom_handling),
            encoding,
            input,
            start,
            eof,
            output: Vec::with_capacity(CHUNK * 3),
            out_start: 0,
            finished: false,
        })
    }

    /// The encoding chosen so far (`None` while everything read was ASCII).
    pub(crate) fn encoding_name(&self) -> &'static str {
        self.encoding.map_or("UTF-8", Encoding::name)
    }

    fn refill_input(&mut self) -> io::Result<()> {
        self.input.drain(..self.start);
        self.start = 0;
        let len = self.input.len();
        self.input.resize(len + CHUNK, 0);
        let n = read_retrying(&mut self.inner, &mut self.input[len..])?;
        self.input.truncate(len + n);
        self.eof = n == 0;
        Ok(())
    }

    /// Decodes what is buffered into `output`; returns whether anything was produced.
    fn decode_some(&mut self) -> io::Result<bool> {
        let pending = &self.input[self.start..];
        if self.decoder.is_none() {
            match pending.iter().position(|b| !b.is_ascii()) {
                Some(at) if at > 0 => {
                    self.output.extend_from_slice(&pending[..at]);
                    self.start += at;
                    return Ok(true);
                }
                Some(_) => {
                    if pending.len() < 64 && !self.eof {
                        return Ok(false);
                    }
                    let encoding = sniff(pending, self.eof).map_err(|e| {
                        io::Error::new(io::ErrorKind::InvalidData, format!("the file {e}"))
                    })?;
                    self.encoding = Some(encoding);
                    self.decoder = Some(encoding.new_decoder_without_bom_handling());
                }
                None => {
                    self.output.extend_from_slice(pending);
                    self.start = self.input.len();
                    return Ok(!pending.is_empty());
                }
            }
        }
        let Some(decoder) = self.decoder.as_mut().filter(|_| !self.finished) else {
            return Ok(false);
        };
        let pending = &self.input[self.start..];
        let before = self.output.len();
        let room = decoder
            .max_utf8_buffer_length(pending.len())
            .unwrap_or(pending.len() * 4 + 16);
        self.output.resize(before + room, 0);
        let (_, read, written, _) =
            decoder.decode_to_utf8(pending, &mut self.output[before..], self.eof);
        self.output.truncate(before + written);
        self.start += read;
        self.finished = self.eof && self.start == self.input.len();
        Ok(written > 0)
    }
}

fn read_retrying<R: Read>(reader: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match reader.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            other => return other,
        }
    }
}

/// Whole-file problems found while opening.
#[derive(Debug)]
pub(crate) enum OpenError {
    Io(io::Error),
    Empty,
    NotText(SniffError),
}

impl<R: Read> Read for DecodingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.out_start < self.output.len() {
                let n = buf.len().min(self.output.len() - self.out_start);
                buf[..n].copy_from_slice(&self.output[self.out_start..self.out_start + n]);
                self.out_start += n;
                return Ok(n);
            }
            self.output.clear();
            self.out_start = 0;
            if self.decode_some()? {
                continue;
            }
            if self.eof {
                return Ok(0);
            }
            self.refill_input()?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8]) -> String {
        let mut reader = DecodingReader::open(bytes).expect("opens");
        let mut out = String::new();
        reader.read_to_string(&mut out).expect("decodes");
        out
    }

    #[test]
    fn utf8_with_and_without_bom() {
        assert_eq!(decode("订单编号,a\n".as_bytes()), "订单编号,a\n");
        assert_eq!(decode(b"\xEF\xBB\xBFid\n"), "id\n");
    }

    #[test]
    fn gbk_and_utf16() {
        let (gbk, _, _) = GB18030.encode("订单编号,交易成功\n");
        assert_eq!(decode(&gbk), "订单编号,交易成功\n");
        let mut utf16 = vec![0xFF, 0xFE];
        for unit in "订单,1\n".encode_utf16() {
            utf16.extend_from_slice(&unit.to_le_bytes());
        }
        assert_eq!(decode(&utf16), "订单,1\n");
    }

    #[test]
    fn ascii_opening_defers_the_choice_past_the_first_chunk() {
        let mut bytes = b"name\n".repeat(CHUNK / 4);
        bytes.extend_from_slice(&GB18030.encode("王小明\n").0);
        assert!(decode(&bytes).ends_with("name\n王小明\n"));
    }

    #[test]
    fn a_character_split_across_chunks_survives() {
        let mut bytes = "数".repeat(CHUNK).into_bytes();
        bytes.push(b'\n');
        assert_eq!(decode(&bytes).chars().filter(|c| *c == '数').count(), CHUNK);
    }

    #[test]
    fn binary_and_empty_files_are_refused() {
        assert!(matches!(
            DecodingReader::open(&b"PK\x03\x04\x00\x00"[..]),
            Err(OpenError::NotText(SniffError::Nul))
        ));
        assert!(matches!(
            DecodingReader::open(&b"\x80\xff\xfe\x81\x30"[..]),
            Err(OpenError::NotText(_))
        ));
        assert!(matches!(
            DecodingReader::open(&b" \n"[..]),
            Err(OpenError::Empty)
        ));
    }
}
