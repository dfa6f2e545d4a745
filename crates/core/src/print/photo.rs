//! Field photos made ready for print: decoded, turned upright by their EXIF orientation (phones
//! store the sensor's orientation and a tag, not rotated pixels), and scaled down to what an A4
//! page can show.

use image::DynamicImage;

/// Longest side kept, in pixels: sharp at the size a photo is printed in a household file.
const MAX_SIDE: u32 = 1200;

/// The EXIF orientation (1–8) of a JPEG, if it has one.
pub fn exif_orientation(jpeg: &[u8]) -> Option<u16> {
    if !jpeg.starts_with(&[0xFF, 0xD8]) {
        return None;
    }
    let mut i = 2;
    while i + 4 <= jpeg.len() && jpeg[i] == 0xFF {
        let marker = jpeg[i + 1];
        let len = u16::from_be_bytes([jpeg[i + 2], jpeg[i + 3]]) as usize;
        if marker == 0xE1 && jpeg.get(i + 4..i + 10) == Some(b"Exif\0\0") {
            let tiff = jpeg.get(i + 10..i + 2 + len)?;
            let le = tiff.get(0..2)? == b"II";
            let u16_at = |o: usize| -> Option<u16> {
                let b = tiff.get(o..o + 2)?;
                Some(if le {
                    u16::from_le_bytes([b[0], b[1]])
                } else {
                    u16::from_be_bytes([b[0], b[1]])
                })
            };
            let u32_at = |o: usize| -> Option<u32> {
                let b = tiff.get(o..o + 4)?;
                let a = [b[0], b[1], b[2], b[3]];
                Some(if le {
                    u32::from_le_bytes(a)
                } else {
                    u32::from_be_bytes(a)
                })
            };
            let ifd = u32_at(4)? as usize;
            let count = u16_at(ifd)? as usize;
            for k in 0..count {
                let entry = ifd + 2 + k * 12;
                if u16_at(entry)? == 0x0112 {
                    return u16_at(entry + 8).filter(|o| (1..=8).contains(o));
                }
            }
            return None;
        }
        if marker == 0xDA {
            return None; // image data starts: no EXIF before it
        }
        i += 2 + len;
    }
    None
}

/// Decodes a stored photo, turns it upright and scales it down.
pub fn prepare(bytes: &[u8]) -> Result<DynamicImage, String> {
    let img = image::load_from_memory(bytes).map_err(|e| e.to_string())?;
    let img = match exif_orientation(bytes).unwrap_or(1) {
        2 => img.fliph(),
        3 => img.rotate180(),
        4 => img.flipv(),
        5 => img.rotate90().fliph(),
        6 => img.rotate90(),
        7 => img.rotate270().fliph(),
        8 => img.rotate270(),
        _ => img,
    };
    Ok(if img.width().max(img.height()) > MAX_SIDE {
        img.thumbnail(MAX_SIDE, MAX_SIDE)
    } else {
        img
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny JPEG 4 px wide and 2 px high with the given EXIF orientation.
    pub fn jpeg_with_orientation(orientation: u16) -> Vec<u8> {
        let img =
            image::RgbImage::from_fn(4, 2, |x, _| image::Rgb([if x < 2 { 255 } else { 0 }, 0, 0]));
        let mut plain = Vec::new();
        image::codecs::jpeg::JpegEncoder::new(&mut plain)
            .encode_image(&img)
            .unwrap();
        // APP1 Exif, big-endian TIFF, one IFD entry: Orientation (SHORT, 1 value).
        let mut tiff = b"MM\0\x2a\0\0\0\x08".to_vec();
        tiff.extend([0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1]);
        tiff.extend(orientation.to_be_bytes());
        tiff.extend([0, 0, 0, 0, 0, 0]);
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend(tiff);
        let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
        out.extend(((app1.len() + 2) as u16).to_be_bytes());
        out.extend(app1);
        out.extend(&plain[2..]);
        out
    }

    #[test]
    fn photos_are_turned_upright_by_their_exif_orientation() {
        assert_eq!(exif_orientation(&jpeg_with_orientation(6)), Some(6));
        let upright = prepare(&jpeg_with_orientation(6)).unwrap();
        assert_eq!(
            (upright.width(), upright.height()),
            (2, 4),
            "turned a quarter"
        );
        let same = prepare(&jpeg_with_orientation(1)).unwrap();
        assert_eq!((same.width(), same.height()), (4, 2));
        assert_eq!(exif_orientation(b"not a jpeg"), None);
    }
}
