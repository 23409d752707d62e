//! Byte-level reading and writing with explicit limits.
//!
//! Every multi-byte integer is big-endian. Variable-length fields carry a length prefix of one,
//! two or four bytes, and every reader names the field it reads so errors say where input broke.

use crate::error::{ProtocolError, Result};

/// A cursor over untrusted input. It never panics: each read checks the remaining length.
#[derive(Debug)]
pub struct Reader<'a> {
    input: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// Starts reading `input` from its first byte.
    pub fn new(input: &'a [u8]) -> Self {
        Self { input, pos: 0 }
    }

    /// Bytes not yet read.
    pub fn remaining(&self) -> usize {
        self.input.len() - self.pos
    }

    /// The bytes read so far.
    pub fn consumed(&self) -> &'a [u8] {
        &self.input[..self.pos]
    }

    /// Takes exactly `len` bytes.
    pub fn take(&mut self, len: usize, field: &'static str) -> Result<&'a [u8]> {
        if self.remaining() < len {
            return Err(ProtocolError::Truncated { field });
        }
        let out = &self.input[self.pos..self.pos + len];
        self.pos += len;
        Ok(out)
    }

    /// Takes a fixed-size array.
    pub fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, field)?);
        Ok(out)
    }

    /// Reads one byte.
    pub fn u8(&mut self, field: &'static str) -> Result<u8> {
        Ok(self.take(1, field)?[0])
    }

    /// Reads a big-endian `u16`.
    pub fn u16(&mut self, field: &'static str) -> Result<u16> {
        Ok(u16::from_be_bytes(self.array(field)?))
    }

    /// Reads a big-endian `u32`.
    pub fn u32(&mut self, field: &'static str) -> Result<u32> {
        Ok(u32::from_be_bytes(self.array(field)?))
    }

    /// Reads a big-endian `i32`.
    pub fn i32(&mut self, field: &'static str) -> Result<i32> {
        Ok(i32::from_be_bytes(self.array(field)?))
    }

    /// Reads a big-endian `u64`.
    pub fn u64(&mut self, field: &'static str) -> Result<u64> {
        Ok(u64::from_be_bytes(self.array(field)?))
    }

    /// Reads a boolean, which must be 0 or 1 so that every value has one encoding.
    pub fn bool(&mut self, field: &'static str) -> Result<bool> {
        match self.u8(field)? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(ProtocolError::Malformed {
                field,
                reason: "boolean must be 0 or 1",
            }),
        }
    }

    /// Reads bytes with a one-byte length prefix.
    pub fn bytes8(&mut self, field: &'static str) -> Result<&'a [u8]> {
        let len = self.u8(field)? as usize;
        self.take(len, field)
    }

    /// Reads bytes with a two-byte length prefix, refusing more than `max`.
    pub fn bytes16(&mut self, field: &'static str, max: usize) -> Result<&'a [u8]> {
        let len = self.u16(field)? as usize;
        if len > max {
            return Err(ProtocolError::Oversized { field, limit: max });
        }
        self.take(len, field)
    }

    /// Reads bytes with a four-byte length prefix, refusing more than `max`.
    pub fn bytes32(&mut self, field: &'static str, max: usize) -> Result<&'a [u8]> {
        let len = self.u32(field)? as usize;
        if len > max {
            return Err(ProtocolError::Oversized { field, limit: max });
        }
        self.take(len, field)
    }

    /// Reads UTF-8 text with a one-byte length prefix.
    pub fn str8(&mut self, field: &'static str) -> Result<String> {
        utf8(self.bytes8(field)?, field)
    }

    /// Reads UTF-8 text with a two-byte length prefix, refusing more than `max` bytes.
    pub fn str16(&mut self, field: &'static str, max: usize) -> Result<String> {
        utf8(self.bytes16(field, max)?, field)
    }

    /// Succeeds only when every byte was consumed.
    pub fn finish(self) -> Result<()> {
        if self.remaining() == 0 {
            Ok(())
        } else {
            Err(ProtocolError::TrailingBytes)
        }
    }
}

fn utf8(bytes: &[u8], field: &'static str) -> Result<String> {
    String::from_utf8(bytes.to_vec()).map_err(|_| ProtocolError::Malformed {
        field,
        reason: "not valid UTF-8",
    })
}

/// An append-only output buffer. Length-prefixed writes check their limits.
#[derive(Debug, Default)]
pub struct Writer {
    out: Vec<u8>,
}

impl Writer {
    /// An empty buffer.
    pub fn new() -> Self {
        Self::default()
    }

    /// The bytes written.
    pub fn into_bytes(self) -> Vec<u8> {
        self.out
    }

    /// The bytes written so far.
    pub fn as_bytes(&self) -> &[u8] {
        &self.out
    }

    /// Appends raw bytes.
    pub fn raw(&mut self, bytes: &[u8]) -> &mut Self {
        self.out.extend_from_slice(bytes);
        self
    }

    /// Appends one byte.
    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.out.push(v);
        self
    }

    /// Appends a big-endian `u16`.
    pub fn u16(&mut self, v: u16) -> &mut Self {
        self.raw(&v.to_be_bytes())
    }

    /// Appends a big-endian `u32`.
    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.raw(&v.to_be_bytes())
    }

    /// Appends a big-endian `i32`.
    pub fn i32(&mut self, v: i32) -> &mut Self {
        self.raw(&v.to_be_bytes())
    }

    /// Appends a big-endian `u64`.
    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.raw(&v.to_be_bytes())
    }

    /// Appends a boolean as 0 or 1.
    pub fn bool(&mut self, v: bool) -> &mut Self {
        self.u8(u8::from(v))
    }

    /// Appends bytes with a one-byte length prefix.
    pub fn bytes8(&mut self, v: &[u8], field: &'static str) -> Result<&mut Self> {
        let len = u8::try_from(v.len()).map_err(|_| ProtocolError::Oversized {
            field,
            limit: u8::MAX as usize,
        })?;
        Ok(self.u8(len).raw(v))
    }

    /// Appends bytes with a two-byte length prefix, refusing more than `max`.
    pub fn bytes16(&mut self, v: &[u8], field: &'static str, max: usize) -> Result<&mut Self> {
        let max = max.min(u16::MAX as usize);
        if v.len() > max {
            return Err(ProtocolError::Oversized { field, limit: max });
        }
        Ok(self.u16(v.len() as u16).raw(v))
    }

    /// Appends bytes with a four-byte length prefix, refusing more than `max`.
    pub fn bytes32(&mut self, v: &[u8], field: &'static str, max: usize) -> Result<&mut Self> {
        let max = max.min(u32::MAX as usize);
        if v.len() > max {
            return Err(ProtocolError::Oversized { field, limit: max });
        }
        Ok(self.u32(v.len() as u32).raw(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_was_written() {
        let mut w = Writer::new();
        w.u8(7).u16(513).u32(70_000).i32(-1).u64(1 << 40).bool(true);
        w.bytes8(b"ab", "a")
            .unwrap()
            .bytes16(b"cde", "b", 10)
            .unwrap();
        w.bytes32(b"", "c", 10).unwrap();
        let bytes = w.into_bytes();
        let mut r = Reader::new(&bytes);
        assert_eq!(r.u8("x").unwrap(), 7);
        assert_eq!(r.u16("x").unwrap(), 513);
        assert_eq!(r.u32("x").unwrap(), 70_000);
        assert_eq!(r.i32("x").unwrap(), -1);
        assert_eq!(r.u64("x").unwrap(), 1 << 40);
        assert!(r.bool("x").unwrap());
        assert_eq!(r.bytes8("a").unwrap(), b"ab");
        assert_eq!(r.bytes16("b", 10).unwrap(), b"cde");
        assert_eq!(r.bytes32("c", 10).unwrap(), b"");
        r.finish().unwrap();
    }

    #[test]
    fn refuses_short_long_and_odd_input() {
        assert_eq!(
            Reader::new(&[1]).u16("n"),
            Err(ProtocolError::Truncated { field: "n" })
        );
        assert!(matches!(
            Reader::new(&[2]).bool("b"),
            Err(ProtocolError::Malformed { .. })
        ));
        assert_eq!(
            Reader::new(&[0, 5, 1, 2, 3, 4, 5]).bytes16("f", 4),
            Err(ProtocolError::Oversized {
                field: "f",
                limit: 4
            })
        );
        assert!(matches!(
            Reader::new(&[1, 0xff]).str8("s"),
            Err(ProtocolError::Malformed { .. })
        ));
        let mut r = Reader::new(&[1, 2]);
        r.u8("a").unwrap();
        assert_eq!(r.finish(), Err(ProtocolError::TrailingBytes));
        assert!(Writer::new().bytes8(&[0; 256], "big").is_err());
        assert!(Writer::new().bytes16(&[0; 11], "big", 10).is_err());
    }
}
