//! A folder as a zip file, streamed without a temporary file.
//!
//! Entries are stored (no compression: torrents are mostly media that does not
//! compress) with a data descriptor carrying each CRC after the data, so the
//! layout and therefore the `Content-Length` are known before the first byte
//! is read, and any byte range of the archive can be produced on demand: a
//! download that broke off can resume with `Range`. Zip64 records are used for
//! files of 4 GiB and more and for archives past 4 GiB or 65,535 entries.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use bytes::Bytes;
use futures::Stream;

use super::chunks::ChunkReader;

/// Most entries in one archive.
pub const MAX_ENTRIES: usize = 200_000;

const LOCAL_HEADER: u32 = 0x0403_4b50;
const DATA_DESCRIPTOR: u32 = 0x0807_4b50;
const CENTRAL_HEADER: u32 = 0x0201_4b50;
const END_OF_CENTRAL: u32 = 0x0605_4b50;
const ZIP64_END: u32 = 0x0606_4b50;
const ZIP64_LOCATOR: u32 = 0x0706_4b50;
/// Bit 3: sizes and CRC in a data descriptor; bit 11: names are UTF-8.
const FLAGS: u16 = 0x0808;
const U32_MAX: u64 = 0xFFFF_FFFF;

/// One file or folder of the archive.
#[derive(Debug, Clone)]
struct Entry {
    /// Name in the archive; folders end with `/`.
    name: String,
    /// Where the bytes are (None for a folder).
    source: Option<PathBuf>,
    size: u64,
    /// MS-DOS time and date.
    dos_time: u16,
    dos_date: u16,
    /// Offset of the local header in the archive.
    offset: u64,
}

impl Entry {
    fn zip64(&self) -> bool {
        self.size >= U32_MAX
    }
    fn local_header_len(&self) -> u64 {
        30 + self.name.len() as u64 + if self.zip64() { 20 } else { 0 }
    }
    fn descriptor_len(&self) -> u64 {
        if self.source.is_none() {
            0
        } else if self.zip64() {
            24
        } else {
            16
        }
    }
    fn total_len(&self) -> u64 {
        self.local_header_len() + self.size + self.descriptor_len()
    }

    fn local_header(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(self.local_header_len() as usize);
        put32(&mut b, LOCAL_HEADER);
        put16(&mut b, if self.zip64() { 45 } else { 20 });
        put16(&mut b, if self.source.is_some() { FLAGS } else { 0x0800 });
        put16(&mut b, 0); // stored
        put16(&mut b, self.dos_time);
        put16(&mut b, self.dos_date);
        put32(&mut b, 0); // CRC: in the descriptor
        let size = if self.zip64() { U32_MAX as u32 } else { 0 };
        put32(&mut b, size);
        put32(&mut b, size);
        put16(&mut b, self.name.len() as u16);
        put16(&mut b, if self.zip64() { 20 } else { 0 });
        b.extend_from_slice(self.name.as_bytes());
        if self.zip64() {
            put16(&mut b, 0x0001);
            put16(&mut b, 16);
            put64(&mut b, 0);
            put64(&mut b, 0);
        }
        b
    }

    fn descriptor(&self, crc: u32) -> Vec<u8> {
        let mut b = Vec::with_capacity(24);
        if self.source.is_none() {
            return b;
        }
        put32(&mut b, DATA_DESCRIPTOR);
        put32(&mut b, crc);
        if self.zip64() {
            put64(&mut b, self.size);
            put64(&mut b, self.size);
        } else {
            put32(&mut b, self.size as u32);
            put32(&mut b, self.size as u32);
        }
        b
    }

    fn central_extra_len(&self) -> u64 {
        let fields = if self.zip64() { 2 } else { 0 } + u64::from(self.offset >= U32_MAX);
        if fields == 0 { 0 } else { 4 + 8 * fields }
    }

    fn central_len(&self) -> u64 {
        46 + self.name.len() as u64 + self.central_extra_len()
    }

    fn central_header(&self, crc: u32) -> Vec<u8> {
        let mut b = Vec::with_capacity(self.central_len() as usize);
        let zip64 = self.zip64();
        let far = self.offset >= U32_MAX;
        put32(&mut b, CENTRAL_HEADER);
        put16(&mut b, 0x0300 | 45); // made by: Unix, spec 4.5
        put16(&mut b, if zip64 || far { 45 } else { 20 });
        put16(&mut b, if self.source.is_some() { FLAGS } else { 0x0800 });
        put16(&mut b, 0);
        put16(&mut b, self.dos_time);
        put16(&mut b, self.dos_date);
        put32(&mut b, crc);
        let size = if zip64 {
            U32_MAX as u32
        } else {
            self.size as u32
        };
        put32(&mut b, size);
        put32(&mut b, size);
        put16(&mut b, self.name.len() as u16);
        put16(&mut b, self.central_extra_len() as u16);
        put16(&mut b, 0); // comment
        put16(&mut b, 0); // disk
        put16(&mut b, 0); // internal attributes
        let (mode, dos) = if self.source.is_some() {
            (0o100644u32, 0)
        } else {
            (0o040755u32, 0x10)
        };
        put32(&mut b, (mode << 16) | dos);
        put32(
            &mut b,
            if far {
                U32_MAX as u32
            } else {
                self.offset as u32
            },
        );
        b.extend_from_slice(self.name.as_bytes());
        if self.central_extra_len() > 0 {
            put16(&mut b, 0x0001);
            put16(&mut b, (self.central_extra_len() - 4) as u16);
            if zip64 {
                put64(&mut b, self.size);
                put64(&mut b, self.size);
            }
            if far {
                put64(&mut b, self.offset);
            }
        }
        b
    }
}

fn put16(b: &mut Vec<u8>, v: u16) {
    b.extend_from_slice(&v.to_le_bytes());
}
fn put32(b: &mut Vec<u8>, v: u32) {
    b.extend_from_slice(&v.to_le_bytes());
}
fn put64(b: &mut Vec<u8>, v: u64) {
    b.extend_from_slice(&v.to_le_bytes());
}

/// MS-DOS date and time (UTC; 1980 at the earliest).
fn dos_datetime(t: SystemTime) -> (u16, u16) {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let dt = time::OffsetDateTime::from_unix_timestamp(secs as i64)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    if dt.year() < 1980 {
        return (0, (1 << 5) | 1);
    }
    let time = ((dt.hour() as u16) << 11) | ((dt.minute() as u16) << 5) | (dt.second() as u16 / 2);
    let date =
        (((dt.year() - 1980).min(127) as u16) << 9) | ((dt.month() as u16) << 5) | dt.day() as u16;
    (time, date)
}

/// The complete layout of an archive.
#[derive(Debug)]
pub struct Archive {
    entries: Vec<Entry>,
    /// Offset of the central directory.
    central_offset: u64,
    central_len: u64,
    /// Length of the end records.
    end_len: u64,
}

/// Why an archive cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum ZipError {
    #[error("the folder has more than {MAX_ENTRIES} entries")]
    TooManyEntries,
    #[error("cannot read the folder: {0}")]
    Io(String),
}

impl Archive {
    /// Walks `folder` (symlinks are skipped, never followed) and lays out an
    /// archive whose entry names start with `top_name/`.
    pub fn plan(folder: &Path, top_name: &str) -> Result<Archive, ZipError> {
        let mut entries = Vec::new();
        let mut stack = vec![(folder.to_path_buf(), format!("{top_name}/"))];
        while let Some((dir, prefix)) = stack.pop() {
            let meta = std::fs::metadata(&dir).map_err(|e| ZipError::Io(e.kind().to_string()))?;
            let (dos_time, dos_date) =
                dos_datetime(meta.modified().unwrap_or(SystemTime::UNIX_EPOCH));
            entries.push(Entry {
                name: prefix.clone(),
                source: None,
                size: 0,
                dos_time,
                dos_date,
                offset: 0,
            });
            let mut children: Vec<_> = std::fs::read_dir(&dir)
                .map_err(|e| ZipError::Io(e.kind().to_string()))?
                .filter_map(|e| e.ok())
                .collect();
            children.sort_by_key(|e| e.file_name());
            let mut subdirs = Vec::new();
            for child in children {
                let Ok(meta) = child.path().symlink_metadata() else {
                    continue;
                };
                let name = format!("{prefix}{}", child.file_name().to_string_lossy());
                if meta.is_dir() {
                    subdirs.push((child.path(), format!("{name}/")));
                } else if meta.is_file() {
                    let (dos_time, dos_date) =
                        dos_datetime(meta.modified().unwrap_or(SystemTime::UNIX_EPOCH));
                    entries.push(Entry {
                        name,
                        source: Some(child.path()),
                        size: meta.len(),
                        dos_time,
                        dos_date,
                        offset: 0,
                    });
                }
                if entries.len() > MAX_ENTRIES {
                    return Err(ZipError::TooManyEntries);
                }
            }
            // Depth first, in name order.
            stack.extend(subdirs.into_iter().rev());
        }
        let mut offset = 0;
        for e in &mut entries {
            e.offset = offset;
            offset += e.total_len();
        }
        let central_offset = offset;
        let central_len: u64 = entries.iter().map(Entry::central_len).sum();
        let needs_zip64 =
            entries.len() >= 0xFFFF || central_offset >= U32_MAX || central_len >= U32_MAX;
        let end_len = 22 + if needs_zip64 { 56 + 20 } else { 0 };
        Ok(Archive {
            entries,
            central_offset,
            central_len,
            end_len,
        })
    }

    /// Total size in bytes.
    #[allow(clippy::len_without_is_empty)] // never empty: it holds at least its folder
    pub fn len(&self) -> u64 {
        self.central_offset + self.central_len + self.end_len
    }

    /// A number that changes when any name, size or time in the archive changes
    /// (for its ETag).
    pub fn fingerprint(&self) -> u64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for e in &self.entries {
            for b in e
                .name
                .bytes()
                .chain(e.size.to_le_bytes())
                .chain(e.dos_time.to_le_bytes())
                .chain(e.dos_date.to_le_bytes())
            {
                h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
            }
        }
        h
    }

    fn end_records(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(self.end_len as usize);
        let count = self.entries.len() as u64;
        if self.end_len > 22 {
            let zip64_end_offset = self.central_offset + self.central_len;
            put32(&mut b, ZIP64_END);
            put64(&mut b, 44);
            put16(&mut b, 0x0300 | 45);
            put16(&mut b, 45);
            put32(&mut b, 0);
            put32(&mut b, 0);
            put64(&mut b, count);
            put64(&mut b, count);
            put64(&mut b, self.central_len);
            put64(&mut b, self.central_offset);
            put32(&mut b, ZIP64_LOCATOR);
            put32(&mut b, 0);
            put64(&mut b, zip64_end_offset);
            put32(&mut b, 1);
        }
        put32(&mut b, END_OF_CENTRAL);
        put16(&mut b, 0);
        put16(&mut b, 0);
        put16(&mut b, count.min(0xFFFF) as u16);
        put16(&mut b, count.min(0xFFFF) as u16);
        put32(&mut b, self.central_len.min(U32_MAX) as u32);
        put32(&mut b, self.central_offset.min(U32_MAX) as u32);
        put16(&mut b, 0);
        b
    }

    /// The bytes `start..end` of the archive as a stream of chunks.
    pub fn stream(
        self,
        start: u64,
        end: u64,
    ) -> impl Stream<Item = std::io::Result<Bytes>> + Send + 'static {
        async_stream(self, start, end)
    }
}

/// What the generator needs between chunks.
struct Writer {
    archive: Archive,
    crcs: Vec<Option<u32>>,
}

impl Writer {
    /// CRC of entry `i`, reading the file when it was not streamed whole.
    async fn crc(&mut self, i: usize) -> std::io::Result<u32> {
        if let Some(crc) = self.crcs[i] {
            return Ok(crc);
        }
        let entry = &self.archive.entries[i];
        let crc = match &entry.source {
            None => 0,
            Some(path) => {
                let file = tokio::fs::File::open(path).await?.into_std().await;
                let mut reader = ChunkReader::new(file, 0, entry.size);
                let mut hasher = crc32fast::Hasher::new();
                while let Some(chunk) = reader.next_chunk().await {
                    hasher.update(&chunk.map_err(|e| named_shrink(e, &entry.name))?);
                }
                hasher.finalize()
            }
        };
        self.crcs[i] = Some(crc);
        Ok(crc)
    }
}

/// The chunk reader's "file shrank" error, naming the entry; other errors as they are.
fn named_shrink(e: std::io::Error, name: &str) -> std::io::Error {
    match e.kind() {
        std::io::ErrorKind::UnexpectedEof => shrunk(name),
        _ => e,
    }
}

fn shrunk(name: &str) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::UnexpectedEof,
        format!("{name} shrank while being zipped"),
    )
}

/// Produces `start..end` of the archive. Kept as one sequential generator over
/// the layout: headers and descriptors are built in memory, file data is read
/// in 1 MiB chunks (and hashed when a file is streamed from its first byte).
fn async_stream(
    archive: Archive,
    start: u64,
    end: u64,
) -> impl Stream<Item = std::io::Result<Bytes>> + Send {
    let crcs = vec![None; archive.entries.len()];
    let writer = Writer { archive, crcs };
    futures::stream::unfold(
        (writer, start, 0usize, Part::Header, None::<FileCursor>),
        move |(mut w, mut pos, mut i, mut part, mut cursor)| async move {
            loop {
                if pos >= end {
                    return None;
                }
                // Past the entries: the central directory and end records.
                if i >= w.archive.entries.len() {
                    let mut tail =
                        Vec::with_capacity((w.archive.central_len + w.archive.end_len) as usize);
                    // The end records need no CRC: a range inside them reads no file.
                    let in_central = pos < w.archive.central_offset + w.archive.central_len;
                    for k in 0..w.archive.entries.len() {
                        let crc = if in_central {
                            match w.crc(k).await {
                                Ok(crc) => crc,
                                Err(e) => return Some((Err(e), (w, end, i, part, cursor))),
                            }
                        } else {
                            0
                        };
                        tail.extend(w.archive.entries[k].central_header(crc));
                    }
                    tail.extend(w.archive.end_records());
                    let from = (pos - w.archive.central_offset) as usize;
                    let to = (end - w.archive.central_offset) as usize;
                    let chunk = Bytes::copy_from_slice(&tail[from..to.min(tail.len())]);
                    return Some((Ok(chunk), (w, end, i, part, cursor)));
                }
                let entry = w.archive.entries[i].clone();
                let header_end = entry.offset + entry.local_header_len();
                let data_end = header_end + entry.size;
                let entry_end = entry.offset + entry.total_len();
                match part {
                    Part::Header => {
                        if pos >= header_end {
                            part = Part::Data;
                            continue;
                        }
                        let bytes = entry.local_header();
                        let from = (pos - entry.offset) as usize;
                        let to = (end.min(header_end) - entry.offset) as usize;
                        let chunk = Bytes::copy_from_slice(&bytes[from..to]);
                        pos += chunk.len() as u64;
                        return Some((Ok(chunk), (w, pos, i, part, cursor)));
                    }
                    Part::Data => {
                        if pos >= data_end {
                            if let Some(c) = cursor.take()
                                && let Some(hasher) = c.hasher
                            {
                                w.crcs[i] = Some(hasher.finalize());
                            }
                            part = Part::Descriptor;
                            continue;
                        }
                        if cursor.is_none() {
                            let Some(path) = &entry.source else {
                                part = Part::Descriptor;
                                continue;
                            };
                            let from = pos - header_end;
                            let to = end.min(data_end) - header_end;
                            let file = match tokio::fs::File::open(path).await {
                                Ok(f) => f.into_std().await,
                                Err(e) => return Some((Err(e), (w, end, i, part, cursor))),
                            };
                            let hasher =
                                (from == 0 && w.crcs[i].is_none()).then(crc32fast::Hasher::new);
                            cursor = Some(FileCursor {
                                reader: ChunkReader::new(file, from, to),
                                hasher,
                            });
                        }
                        let Some(c) = cursor.as_mut() else { continue };
                        let chunk = match c.reader.next_chunk().await {
                            Some(Ok(chunk)) => chunk,
                            Some(Err(e)) => {
                                let e = named_shrink(e, &entry.name);
                                return Some((Err(e), (w, end, i, part, cursor)));
                            }
                            None => {
                                return Some((Err(shrunk(&entry.name)), (w, end, i, part, cursor)));
                            }
                        };
                        if let Some(h) = c.hasher.as_mut() {
                            h.update(&chunk);
                        }
                        pos += chunk.len() as u64;
                        if pos >= end && pos < data_end {
                            // The range ends inside this file: the CRC stays unknown.
                            c.hasher = None;
                        }
                        return Some((Ok(chunk), (w, pos, i, part, cursor)));
                    }
                    Part::Descriptor => {
                        if pos >= entry_end {
                            i += 1;
                            part = Part::Header;
                            continue;
                        }
                        let crc = match w.crc(i).await {
                            Ok(c) => c,
                            Err(e) => return Some((Err(e), (w, end, i, part, cursor))),
                        };
                        let bytes = entry.descriptor(crc);
                        let from = (pos - data_end) as usize;
                        let to = (end.min(entry_end) - data_end) as usize;
                        let chunk = Bytes::copy_from_slice(&bytes[from..to]);
                        pos += chunk.len() as u64;
                        return Some((Ok(chunk), (w, pos, i, part, cursor)));
                    }
                }
            }
        },
    )
}

#[derive(Clone, Copy)]
enum Part {
    Header,
    Data,
    Descriptor,
}

struct FileCursor {
    reader: ChunkReader,
    hasher: Option<crc32fast::Hasher>,
}
