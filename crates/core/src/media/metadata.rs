//! Removing what a photo says about where and how it was taken (EXIF with GPS position, camera
//! and owner; XMP; IPTC; comments) before it leaves the device.
//!
//! Lossless: the metadata segments or chunks are dropped and the picture's own bytes are copied
//! as they are, so nothing is recompressed and the quality stays the sender's. A JPEG keeps its
//! orientation as a one-entry EXIF block (every viewer then shows it upright) and loses
//! whatever follows its end (phones append previews and depth maps there, each with its own
//! EXIF). PNG, WebP and GIF lose their text, EXIF and XMP chunks.

/// A picture format whose metadata we know how to remove.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PictureFormat {
    Jpeg,
    Png,
    WebP,
    Gif,
}

/// The picture could not be read as its format says; it is then sent as a plain file.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("the picture is damaged: {0}")]
pub struct Damaged(&'static str);

/// `bytes` without metadata, and the EXIF orientation (1–8) the picture had, if any.
pub fn strip_metadata(format: PictureFormat, bytes: &[u8]) -> Result<Stripped, Damaged> {
    match format {
        PictureFormat::Jpeg => strip_jpeg(bytes),
        PictureFormat::Png => strip_png(bytes).map(Stripped::unrotated),
        PictureFormat::WebP => strip_webp(bytes).map(Stripped::unrotated),
        PictureFormat::Gif => strip_gif(bytes).map(Stripped::unrotated),
    }
}

#[derive(Debug)]
pub struct Stripped {
    pub bytes: Vec<u8>,
    /// The EXIF orientation, kept in the JPEG; 1 means upright.
    pub orientation: u16,
}

impl Stripped {
    fn unrotated(bytes: Vec<u8>) -> Self {
        Self {
            bytes,
            orientation: 1,
        }
    }
}

fn read_u16_be(bytes: &[u8], at: usize) -> Result<u16, Damaged> {
    bytes
        .get(at..at + 2)
        .map(|b| u16::from_be_bytes([b[0], b[1]]))
        .ok_or(Damaged("cut short"))
}

fn read_u32_be(bytes: &[u8], at: usize) -> Result<u32, Damaged> {
    bytes
        .get(at..at + 4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or(Damaged("cut short"))
}

fn read_u32_le(bytes: &[u8], at: usize) -> Result<u32, Damaged> {
    bytes
        .get(at..at + 4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or(Damaged("cut short"))
}

// --- JPEG -----------------------------------------------------------------------------------

const SOI: u8 = 0xD8;
const EOI: u8 = 0xD9;
const SOS: u8 = 0xDA;
const APP0: u8 = 0xE0;
const APP1: u8 = 0xE1;
const APP2: u8 = 0xE2;
const APP14: u8 = 0xEE;
const COM: u8 = 0xFE;

/// Keeps JFIF (APP0), the colour profile (APP2 `ICC_PROFILE`) and Adobe's colour transform
/// (APP14, needed to decode some CMYK pictures right); drops every other APPn and comments.
fn keeps_segment(marker: u8, body: &[u8]) -> bool {
    match marker {
        APP0 | APP14 => true,
        APP2 => body.starts_with(b"ICC_PROFILE\0"),
        APP1..=0xEF | COM => false,
        _ => true,
    }
}

fn strip_jpeg(bytes: &[u8]) -> Result<Stripped, Damaged> {
    if bytes.get(..2) != Some(&[0xFF, SOI]) {
        return Err(Damaged("no JPEG start"));
    }
    let mut kept = Vec::with_capacity(bytes.len());
    kept.extend_from_slice(&[0xFF, SOI]);
    let mut orientation = 1;
    // The kept orientation goes right after JFIF, which must come first, or after SOI.
    let mut after_jfif = None;
    let mut at = 2;
    loop {
        // Markers may be padded with 0xFF fill bytes.
        while bytes.get(at) == Some(&0xFF) && bytes.get(at + 1) == Some(&0xFF) {
            at += 1;
        }
        if bytes.get(at) != Some(&0xFF) {
            return Err(Damaged("a segment does not start with a marker"));
        }
        let marker = *bytes.get(at + 1).ok_or(Damaged("cut short"))?;
        if marker == EOI {
            kept.extend_from_slice(&[0xFF, EOI]);
            break;
        }
        let length = usize::from(read_u16_be(bytes, at + 2)?);
        if length < 2 {
            return Err(Damaged("a segment is shorter than its header"));
        }
        let end = at + 2 + length;
        let segment = bytes.get(at..end).ok_or(Damaged("cut short"))?;
        let body = &segment[4..];
        if marker == APP1 && body.starts_with(b"Exif\0\0") {
            orientation = exif_orientation(&body[6..]).unwrap_or(1);
        }
        if keeps_segment(marker, body) {
            kept.extend_from_slice(segment);
            if marker == APP0 && kept.len() == 2 + segment.len() {
                after_jfif = Some(kept.len());
            }
        }
        at = end;
        if marker == SOS {
            at = copy_entropy_coded_data(bytes, at, &mut kept)?;
        }
    }
    if orientation != 1 {
        let segment = orientation_segment(orientation);
        let position = after_jfif.unwrap_or(2);
        kept.splice(position..position, segment);
    }
    Ok(Stripped {
        bytes: kept,
        orientation,
    })
}

/// Copies a scan's compressed data up to the next marker that is not part of it (stuffed
/// `FF 00` and restart markers are); returns where that marker starts.
fn copy_entropy_coded_data(
    bytes: &[u8],
    from: usize,
    kept: &mut Vec<u8>,
) -> Result<usize, Damaged> {
    let mut at = from;
    loop {
        let next = bytes[at..]
            .iter()
            .position(|byte| *byte == 0xFF)
            .map(|offset| at + offset)
            .ok_or(Damaged("no end after the picture data"))?;
        match bytes.get(next + 1) {
            Some(0x00 | 0xD0..=0xD7) => at = next + 2,
            Some(_) => {
                kept.extend_from_slice(&bytes[from..next]);
                return Ok(next);
            }
            None => return Err(Damaged("cut short")),
        }
    }
}

/// The Orientation tag (0x0112) of IFD0 in a TIFF-structured EXIF block.
fn exif_orientation(tiff: &[u8]) -> Option<u16> {
    let big_endian = match tiff.get(..2)? {
        b"MM" => true,
        b"II" => false,
        _ => return None,
    };
    let u16_at = |at: usize| {
        tiff.get(at..at + 2).map(|b| {
            if big_endian {
                u16::from_be_bytes([b[0], b[1]])
            } else {
                u16::from_le_bytes([b[0], b[1]])
            }
        })
    };
    let u32_at = |at: usize| {
        tiff.get(at..at + 4).map(|b| {
            if big_endian {
                u32::from_be_bytes([b[0], b[1], b[2], b[3]])
            } else {
                u32::from_le_bytes([b[0], b[1], b[2], b[3]])
            }
        })
    };
    let ifd = usize::try_from(u32_at(4)?).ok()?;
    let entries = usize::from(u16_at(ifd)?);
    (0..entries.min(512)).find_map(|index| {
        let entry = ifd + 2 + index * 12;
        (u16_at(entry)? == 0x0112)
            .then(|| u16_at(entry + 8))
            .flatten()
            .filter(|value| (1..=8).contains(value))
    })
}

/// An APP1 EXIF segment holding nothing but the orientation.
fn orientation_segment(orientation: u16) -> Vec<u8> {
    let mut body = Vec::with_capacity(32);
    body.extend_from_slice(b"Exif\0\0");
    body.extend_from_slice(b"MM\0\x2A\0\0\0\x08"); // big-endian TIFF, IFD0 at offset 8
    body.extend_from_slice(&1u16.to_be_bytes()); // one entry
    body.extend_from_slice(&0x0112u16.to_be_bytes()); // Orientation
    body.extend_from_slice(&3u16.to_be_bytes()); // SHORT
    body.extend_from_slice(&1u32.to_be_bytes()); // one value
    body.extend_from_slice(&orientation.to_be_bytes());
    body.extend_from_slice(&[0, 0]); // value padding
    body.extend_from_slice(&0u32.to_be_bytes()); // no next IFD
    let length = u16::try_from(body.len() + 2).unwrap_or(u16::MAX);
    let mut segment = vec![0xFF, APP1];
    segment.extend_from_slice(&length.to_be_bytes());
    segment.extend_from_slice(&body);
    segment
}

// --- PNG ------------------------------------------------------------------------------------

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

fn strip_png(bytes: &[u8]) -> Result<Vec<u8>, Damaged> {
    if !bytes.starts_with(PNG_SIGNATURE) {
        return Err(Damaged("no PNG signature"));
    }
    let mut kept = Vec::with_capacity(bytes.len());
    kept.extend_from_slice(PNG_SIGNATURE);
    let mut at = PNG_SIGNATURE.len();
    loop {
        let length = usize::try_from(read_u32_be(bytes, at)?).map_err(|_| Damaged("too long"))?;
        let kind = bytes.get(at + 4..at + 8).ok_or(Damaged("cut short"))?;
        let end = at
            .checked_add(12)
            .and_then(|end| end.checked_add(length))
            .ok_or(Damaged("too long"))?;
        let chunk = bytes.get(at..end).ok_or(Damaged("cut short"))?;
        if !matches!(kind, b"eXIf" | b"tEXt" | b"zTXt" | b"iTXt" | b"tIME") {
            kept.extend_from_slice(chunk);
        }
        if kind == b"IEND" {
            return Ok(kept);
        }
        at = end;
    }
}

// --- WebP -----------------------------------------------------------------------------------

/// VP8X flags saying that EXIF and XMP chunks follow.
const WEBP_EXIF_FLAG: u8 = 0x08;
const WEBP_XMP_FLAG: u8 = 0x04;

fn strip_webp(bytes: &[u8]) -> Result<Vec<u8>, Damaged> {
    if bytes.get(..4) != Some(b"RIFF") || bytes.get(8..12) != Some(b"WEBP") {
        return Err(Damaged("no WebP header"));
    }
    let declared = usize::try_from(read_u32_le(bytes, 4)?).map_err(|_| Damaged("too long"))?;
    let end_of_file = declared
        .checked_add(8)
        .filter(|end| *end <= bytes.len())
        .ok_or(Damaged("cut short"))?;
    let mut kept = Vec::with_capacity(bytes.len());
    kept.extend_from_slice(b"RIFF\0\0\0\0WEBP");
    let mut at = 12;
    while at < end_of_file {
        let kind = bytes.get(at..at + 4).ok_or(Damaged("cut short"))?;
        let size = usize::try_from(read_u32_le(bytes, at + 4)?).map_err(|_| Damaged("too long"))?;
        let padded = size + (size & 1);
        let end = (at + 8)
            .checked_add(padded)
            .filter(|end| *end <= end_of_file)
            .ok_or(Damaged("cut short"))?;
        match kind {
            b"EXIF" | b"XMP " => {}
            b"VP8X" => {
                let start = kept.len();
                kept.extend_from_slice(&bytes[at..end]);
                if let Some(flags) = kept.get_mut(start + 8) {
                    *flags &= !(WEBP_EXIF_FLAG | WEBP_XMP_FLAG);
                }
            }
            _ => kept.extend_from_slice(&bytes[at..end]),
        }
        at = end;
    }
    let riff_size = u32::try_from(kept.len() - 8).map_err(|_| Damaged("too long"))?;
    kept[4..8].copy_from_slice(&riff_size.to_le_bytes());
    Ok(kept)
}

// --- GIF ------------------------------------------------------------------------------------

fn strip_gif(bytes: &[u8]) -> Result<Vec<u8>, Damaged> {
    if !matches!(bytes.get(..6), Some(b"GIF87a" | b"GIF89a")) {
        return Err(Damaged("no GIF header"));
    }
    let flags = *bytes.get(10).ok_or(Damaged("cut short"))?;
    let mut at = 13 + color_table_size(flags);
    let mut kept = bytes.get(..at).ok_or(Damaged("cut short"))?.to_vec();
    loop {
        match *bytes.get(at).ok_or(Damaged("no GIF end"))? {
            0x3B => {
                kept.push(0x3B);
                return Ok(kept);
            }
            0x21 => {
                let label = *bytes.get(at + 1).ok_or(Damaged("cut short"))?;
                let end = skip_sub_blocks(bytes, at + 2)?;
                // Comments, and application blocks other than animation looping (XMP lives
                // in one), go.
                let is_loop = bytes
                    .get(at + 3..at + 14)
                    .is_some_and(|id| id == b"NETSCAPE2.0" || id == b"ANIMEXTS1.0");
                let dropped = label == 0xFE || (label == 0xFF && !is_loop);
                if !dropped {
                    kept.extend_from_slice(&bytes[at..end]);
                }
                at = end;
            }
            0x2C => {
                let flags = *bytes.get(at + 9).ok_or(Damaged("cut short"))?;
                // Descriptor, local colour table, LZW code size, then the data sub-blocks.
                let data = at + 10 + color_table_size(flags) + 1;
                let end = skip_sub_blocks(bytes, data)?;
                kept.extend_from_slice(&bytes[at..end]);
                at = end;
            }
            _ => return Err(Damaged("an unknown GIF block")),
        }
    }
}

fn color_table_size(flags: u8) -> usize {
    if flags & 0x80 == 0 {
        0
    } else {
        3 << ((flags & 0x07) + 1)
    }
}

/// The position after a run of sub-blocks (each a length byte and that many bytes) and its
/// zero terminator.
fn skip_sub_blocks(bytes: &[u8], mut at: usize) -> Result<usize, Damaged> {
    loop {
        let size = usize::from(*bytes.get(at).ok_or(Damaged("cut short"))?);
        at += 1;
        if size == 0 {
            return Ok(at);
        }
        at += size;
    }
}

#[cfg(test)]
pub(crate) mod samples {
    //! Pictures made in the tests, with the metadata phones and editors write.

    use std::io::Cursor;

    use image::{ImageFormat, RgbImage};

    pub const SECRETS: &[&[u8]] = &[b"SecretCam", b"48.8566", b"secret comment", b"secret-xmp"];

    pub fn picture(width: u32, height: u32) -> RgbImage {
        RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x * 4) as u8, (y * 4) as u8, ((x + y) * 2) as u8])
        })
    }

    pub fn encoded(format: ImageFormat, width: u32, height: u32) -> Vec<u8> {
        let mut bytes = Vec::new();
        image::DynamicImage::ImageRgb8(picture(width, height))
            .write_to(&mut Cursor::new(&mut bytes), format)
            .expect("encoded");
        bytes
    }

    /// A big-endian TIFF block: IFD0 with the orientation, the camera's make, and a GPS IFD
    /// with a latitude, as a phone writes it.
    pub fn exif(orientation: u16) -> Vec<u8> {
        let mut tiff = b"MM\0\x2A\0\0\0\x08".to_vec();
        let entry = |tag: u16, kind: u16, count: u32, value: [u8; 4]| {
            let mut bytes = tag.to_be_bytes().to_vec();
            bytes.extend_from_slice(&kind.to_be_bytes());
            bytes.extend_from_slice(&count.to_be_bytes());
            bytes.extend_from_slice(&value);
            bytes
        };
        // IFD0 at 8: 3 entries (2 + 36 bytes + 4), then "SecretCam\0" at 50, GPS IFD at 60.
        tiff.extend_from_slice(&3u16.to_be_bytes());
        let mut orientation_value = [0; 4];
        orientation_value[..2].copy_from_slice(&orientation.to_be_bytes());
        tiff.extend(entry(0x0112, 3, 1, orientation_value));
        tiff.extend(entry(0x010F, 2, 10, 50u32.to_be_bytes()));
        tiff.extend(entry(0x8825, 4, 1, 60u32.to_be_bytes()));
        tiff.extend_from_slice(&0u32.to_be_bytes());
        tiff.extend_from_slice(b"SecretCam\0");
        // GPS IFD: one ASCII entry holding the latitude as text (enough to be found).
        tiff.extend_from_slice(&1u16.to_be_bytes());
        tiff.extend(entry(0x0002, 2, 8, 78u32.to_be_bytes()));
        tiff.extend_from_slice(&0u32.to_be_bytes());
        tiff.extend_from_slice(b"48.8566\0");
        tiff
    }

    fn jpeg_segment(marker: u8, body: &[u8]) -> Vec<u8> {
        let mut segment = vec![0xFF, marker];
        segment.extend_from_slice(&u16::try_from(body.len() + 2).expect("short").to_be_bytes());
        segment.extend_from_slice(body);
        segment
    }

    /// A phone's JPEG: EXIF with GPS, XMP, a comment, and a second picture after the end.
    pub fn phone_jpeg(orientation: u16) -> Vec<u8> {
        let plain = encoded(ImageFormat::Jpeg, 40, 20);
        let mut exif_body = b"Exif\0\0".to_vec();
        exif_body.extend(exif(orientation));
        let mut jpeg = plain[..2].to_vec();
        jpeg.extend(jpeg_segment(0xE1, &exif_body));
        jpeg.extend(jpeg_segment(
            0xE1,
            b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta>secret-xmp</x:xmpmeta>",
        ));
        jpeg.extend(jpeg_segment(0xFE, b"secret comment"));
        jpeg.extend_from_slice(&plain[2..]);
        // What phones append: a preview with its own EXIF.
        jpeg.extend_from_slice(&[0xFF, 0xD8]);
        jpeg.extend(jpeg_segment(0xE1, &exif_body));
        jpeg.extend_from_slice(&[0xFF, 0xD9]);
        jpeg
    }

    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for byte in bytes {
            crc ^= u32::from(*byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    pub fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut chunk = u32::try_from(data.len())
            .expect("short")
            .to_be_bytes()
            .to_vec();
        chunk.extend_from_slice(kind);
        chunk.extend_from_slice(data);
        let mut checked = kind.to_vec();
        checked.extend_from_slice(data);
        chunk.extend_from_slice(&crc32(&checked).to_be_bytes());
        chunk
    }

    /// A PNG with text, EXIF and a time stamp after its header.
    pub fn annotated_png() -> Vec<u8> {
        let plain = encoded(ImageFormat::Png, 30, 10);
        let after_header = 8 + 25; // signature, IHDR
        let mut png = plain[..after_header].to_vec();
        png.extend(png_chunk(b"tEXt", b"Comment\0secret comment"));
        png.extend(png_chunk(b"iTXt", b"XML:com.adobe.xmp\0\0\0\0\0secret-xmp"));
        png.extend(png_chunk(b"eXIf", &exif(1)));
        png.extend(png_chunk(b"tIME", &[7, 234, 12, 2, 10, 0, 0]));
        png.extend_from_slice(&plain[after_header..]);
        png
    }

    /// An extended WebP (VP8X) with EXIF and XMP chunks.
    pub fn annotated_webp() -> Vec<u8> {
        let plain = encoded(ImageFormat::WebP, 16, 8);
        let bitstream = &plain[12..]; // the VP8L chunk, as the encoder wrote it
        let chunk = |kind: &[u8; 4], data: &[u8]| {
            let mut chunk = kind.to_vec();
            chunk.extend_from_slice(&u32::try_from(data.len()).expect("short").to_le_bytes());
            chunk.extend_from_slice(data);
            if data.len() % 2 == 1 {
                chunk.push(0);
            }
            chunk
        };
        let mut vp8x = vec![0x08 | 0x04, 0, 0, 0];
        vp8x.extend_from_slice(&15u32.to_le_bytes()[..3]);
        vp8x.extend_from_slice(&7u32.to_le_bytes()[..3]);
        let mut body = b"WEBP".to_vec();
        body.extend(chunk(b"VP8X", &vp8x));
        body.extend_from_slice(bitstream);
        body.extend(chunk(b"EXIF", &exif(1)));
        body.extend(chunk(b"XMP ", b"<x:xmpmeta>secret-xmp</x:xmpmeta>"));
        let mut webp = b"RIFF".to_vec();
        webp.extend_from_slice(&u32::try_from(body.len()).expect("short").to_le_bytes());
        webp.extend(body);
        webp
    }

    /// A GIF with a comment and an XMP application block before its picture.
    pub fn annotated_gif() -> Vec<u8> {
        let plain = encoded(ImageFormat::Gif, 12, 6);
        let flags = plain[10];
        let header = 13 + super::color_table_size(flags);
        let mut gif = plain[..header].to_vec();
        gif.extend_from_slice(&[0x21, 0xFE, 14]);
        gif.extend_from_slice(b"secret comment");
        gif.push(0);
        gif.extend_from_slice(&[0x21, 0xFF, 11]);
        gif.extend_from_slice(b"XMP DataXMP");
        gif.push(10);
        gif.extend_from_slice(b"secret-xmp");
        gif.push(0);
        gif.extend_from_slice(&plain[header..]);
        gif
    }

    pub fn holds_a_secret(bytes: &[u8]) -> Option<&'static str> {
        SECRETS
            .iter()
            .find(|secret| bytes.windows(secret.len()).any(|window| window == **secret))
            .map(|secret| std::str::from_utf8(secret).unwrap_or("?"))
    }
}

#[cfg(test)]
mod tests {
    use image::{ImageDecoder, ImageFormat, ImageReader, metadata::Orientation};

    use super::{samples::*, *};

    fn pixels(bytes: &[u8]) -> image::RgbImage {
        ImageReader::new(std::io::Cursor::new(bytes))
            .with_guessed_format()
            .expect("read")
            .decode()
            .expect("decodes")
            .to_rgb8()
    }

    fn orientation_of(bytes: &[u8]) -> Orientation {
        ImageReader::new(std::io::Cursor::new(bytes))
            .with_guessed_format()
            .expect("read")
            .into_decoder()
            .expect("decoder")
            .orientation()
            .expect("orientation")
    }

    #[test]
    fn a_phone_jpeg_loses_its_metadata_and_keeps_its_pixels_and_orientation() {
        let original = phone_jpeg(6);
        assert_eq!(holds_a_secret(&original), Some("SecretCam"));
        let stripped = strip_metadata(PictureFormat::Jpeg, &original).expect("stripped");
        assert_eq!(holds_a_secret(&stripped.bytes), None);
        assert_eq!(stripped.orientation, 6);
        assert_eq!(orientation_of(&stripped.bytes), Orientation::Rotate90);
        assert_eq!(
            pixels(&stripped.bytes),
            pixels(&original),
            "not recompressed"
        );
        // Nothing after the picture's end.
        assert!(stripped.bytes.ends_with(&[0xFF, 0xD9]));
        assert_eq!(
            stripped
                .bytes
                .windows(2)
                .filter(|w| *w == [0xFF, 0xD8])
                .count(),
            1
        );
    }

    #[test]
    fn an_upright_jpeg_keeps_no_exif_at_all() {
        let stripped = strip_metadata(PictureFormat::Jpeg, &phone_jpeg(1)).expect("stripped");
        assert!(!stripped.bytes.windows(4).any(|w| w == b"Exif"));
        assert_eq!(orientation_of(&stripped.bytes), Orientation::NoTransforms);
    }

    #[test]
    fn png_webp_and_gif_lose_their_text_exif_and_xmp() {
        for (format, original) in [
            (PictureFormat::Png, annotated_png()),
            (PictureFormat::WebP, annotated_webp()),
            (PictureFormat::Gif, annotated_gif()),
        ] {
            assert!(holds_a_secret(&original).is_some(), "{format:?} sample");
            let stripped = strip_metadata(format, &original).expect("stripped");
            assert_eq!(holds_a_secret(&stripped.bytes), None, "{format:?}");
            assert_eq!(pixels(&stripped.bytes), pixels(&original), "{format:?}");
        }
    }

    #[test]
    fn a_webp_says_it_has_no_metadata_left() {
        let stripped = strip_metadata(PictureFormat::WebP, &annotated_webp()).expect("stripped");
        let vp8x = stripped
            .bytes
            .windows(4)
            .position(|w| w == b"VP8X")
            .expect("VP8X");
        assert_eq!(
            stripped.bytes[vp8x + 8] & (WEBP_EXIF_FLAG | WEBP_XMP_FLAG),
            0
        );
        let declared = u32::from_le_bytes(stripped.bytes[4..8].try_into().expect("4 bytes"));
        assert_eq!(declared as usize, stripped.bytes.len() - 8);
    }

    #[test]
    fn damaged_pictures_are_refused_not_half_cleaned() {
        let jpeg = phone_jpeg(1);
        let png = annotated_png();
        for (format, bytes) in [
            (PictureFormat::Jpeg, &jpeg[..jpeg.len() / 3]),
            (PictureFormat::Jpeg, &b"\xFF\xD8\xFF\xE1\x00"[..]),
            (PictureFormat::Jpeg, &b"\xFF\xD8\xFF\xE1\x00\x01"[..]),
            (PictureFormat::Png, &png[..40]),
            (
                PictureFormat::Png,
                &b"\x89PNG\r\n\x1a\n\xFF\xFF\xFF\xFFIDAT"[..],
            ),
            (PictureFormat::WebP, &b"RIFF\xFF\xFF\xFF\xFFWEBP"[..]),
            (
                PictureFormat::Gif,
                &b"GIF89a\x01\x00\x01\x00\x80\x00\x00"[..],
            ),
            (PictureFormat::Gif, &b"not a gif"[..]),
        ] {
            assert!(
                strip_metadata(format, bytes).is_err(),
                "{format:?} {bytes:?}"
            );
        }
    }

    #[test]
    fn ordinary_encoder_output_is_unchanged_in_its_pixels() {
        for (format, image_format) in [
            (PictureFormat::Jpeg, ImageFormat::Jpeg),
            (PictureFormat::Png, ImageFormat::Png),
            (PictureFormat::Gif, ImageFormat::Gif),
            (PictureFormat::WebP, ImageFormat::WebP),
        ] {
            let original = encoded(image_format, 9, 7);
            let stripped = strip_metadata(format, &original).expect("stripped");
            assert_eq!(pixels(&stripped.bytes), pixels(&original), "{format:?}");
        }
    }
}
