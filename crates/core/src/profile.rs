//! This user's own profile, as every other client shows it: the display name and the avatar
//! (`account.profile()`). An avatar is cropped to its centre square and scaled down here,
//! decoded within limits, so that a huge or hostile picture never reaches the server as is.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, ImageReader, Limits};
use matrix_sdk::ruma::OwnedMxcUri;
use serde::Serialize;

use crate::{Account, Code, auth::is_network_failure};

/// The longest display name accepted (Synapse's own limit is 256).
const DISPLAY_NAME_MAX_CHARS: usize = 256;
/// An avatar's side once cropped: clients show avatars at 32 to 256 pixels.
const AVATAR_SIDE: u32 = 512;
/// The largest picture decoded to make an avatar.
const MAX_AVATAR_SOURCE_PIXELS: u64 = 50_000_000;
const MAX_DECODER_ALLOCATION: u64 = 512 * 1024 * 1024;

/// What other people see of this user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct OwnProfile {
    pub user_id: String,
    pub display_name: Option<String>,
    /// `mxc://` URI of the avatar, shown through the media scheme.
    pub avatar_url: Option<String>,
    /// The homeserver's address, as signed in to.
    pub homeserver: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("a display name must be 1 to 256 characters, not only spaces")]
    InvalidName,
    #[error("this file is not a picture that can be made an avatar")]
    NotAPicture,
    #[error("the server cannot be reached")]
    Offline,
    #[error("the server did not take the change: {0}")]
    NotSaved(String),
}

impl ProfileError {
    pub fn code(&self) -> Code {
        match self {
            Self::InvalidName => Code::ProfileInvalidName,
            Self::NotAPicture => Code::ProfileNotAPicture,
            Self::Offline => Code::ProfileOffline,
            Self::NotSaved(_) => Code::ProfileNotSaved,
        }
    }

    fn from_sdk(error: &matrix_sdk::Error) -> Self {
        if is_network_failure(error) {
            Self::Offline
        } else {
            Self::NotSaved(error.to_string())
        }
    }
}

impl Account {
    /// This user's display name and avatar.
    pub fn profile(&self) -> Profile<'_> {
        Profile { account: self }
    }
}

/// This user's profile (`account.profile()`).
#[derive(Clone, Copy, Debug)]
pub struct Profile<'a> {
    account: &'a Account,
}

impl Profile<'_> {
    /// The profile as the server has it; offline, as last known.
    pub async fn get(&self) -> Result<OwnProfile, ProfileError> {
        let client = self.account.client();
        let account = client.account();
        let (display_name, avatar_url) = match account.get_display_name().await {
            Ok(display_name) => (
                display_name,
                account
                    .get_avatar_url()
                    .await
                    .map_err(|error| ProfileError::from_sdk(&error))?,
            ),
            Err(error) if is_network_failure(&error) => (
                self.cached_display_name().await,
                account.get_cached_avatar_url().await.ok().flatten(),
            ),
            Err(error) => return Err(ProfileError::from_sdk(&error)),
        };
        Ok(OwnProfile {
            user_id: self.account.user_id().to_owned(),
            display_name,
            avatar_url: avatar_url.map(|uri| uri.to_string()),
            homeserver: client.homeserver().to_string(),
        })
    }

    /// The name this user has in the rooms known here: what the server last said, offline.
    async fn cached_display_name(&self) -> Option<String> {
        let client = self.account.client();
        let user_id = client.user_id()?;
        for room in client.joined_rooms() {
            if let Ok(Some(member)) = room.get_member_no_sync(user_id).await
                && let Some(name) = member.display_name()
            {
                return Some(name.to_owned());
            }
        }
        None
    }

    /// Changes the display name (trimmed) in the profile and, as the server does, in every
    /// room this user is in.
    pub async fn set_display_name(&self, name: &str) -> Result<(), ProfileError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > DISPLAY_NAME_MAX_CHARS {
            return Err(ProfileError::InvalidName);
        }
        self.account
            .client()
            .account()
            .set_display_name(Some(name))
            .await
            .map_err(|error| ProfileError::from_sdk(&error))
    }

    /// Makes `picture` (the bytes of an image file) the avatar: its centre square, at most
    /// 512 pixels a side, as PNG. Returns the new avatar's URI.
    pub async fn set_avatar(&self, picture: Vec<u8>) -> Result<String, ProfileError> {
        let png = tokio::task::spawn_blocking(move || square_avatar(&picture))
            .await
            .map_err(|_| ProfileError::NotAPicture)??;
        let uri: OwnedMxcUri = self
            .account
            .client()
            .account()
            .upload_avatar(&mime::IMAGE_PNG, png)
            .await
            .map_err(|error| ProfileError::from_sdk(&error))?;
        Ok(uri.to_string())
    }

    /// Removes the avatar: other clients show initials again.
    pub async fn remove_avatar(&self) -> Result<(), ProfileError> {
        self.account
            .client()
            .account()
            .set_avatar_url(None)
            .await
            .map_err(|error| ProfileError::from_sdk(&error))
    }
}

/// The centre square of a picture, upright, scaled down to [`AVATAR_SIDE`], as PNG.
pub(crate) fn square_avatar(bytes: &[u8]) -> Result<Vec<u8>, ProfileError> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| ProfileError::NotAPicture)?;
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_DECODER_ALLOCATION);
    reader.limits(limits);
    let mut decoder = reader
        .into_decoder()
        .map_err(|_| ProfileError::NotAPicture)?;
    let orientation = image::ImageDecoder::orientation(&mut decoder)
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let (width, height) = image::ImageDecoder::dimensions(&decoder);
    if u64::from(width) * u64::from(height) > MAX_AVATAR_SOURCE_PIXELS {
        return Err(ProfileError::NotAPicture);
    }
    let mut picture = DynamicImage::from_decoder(decoder).map_err(|_| ProfileError::NotAPicture)?;
    picture.apply_orientation(orientation);
    let side = picture.width().min(picture.height());
    if side == 0 {
        return Err(ProfileError::NotAPicture);
    }
    let left = (picture.width() - side) / 2;
    let top = (picture.height() - side) / 2;
    let square = picture.crop_imm(left, top, side, side);
    let square = if side > AVATAR_SIDE {
        square.resize_exact(
            AVATAR_SIDE,
            AVATAR_SIDE,
            image::imageops::FilterType::Lanczos3,
        )
    } else {
        square
    };
    let mut png = Vec::new();
    // Re-encoding also leaves every metadata chunk of the original behind.
    square
        .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
        .map_err(|_| ProfileError::NotAPicture)?;
    Ok(png)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn picture(width: u32, height: u32) -> Vec<u8> {
        // Left half red, right half blue: the crop must keep the middle.
        let image = image::RgbImage::from_fn(width, height, |x, _| {
            if x < width / 2 {
                image::Rgb([255, 0, 0])
            } else {
                image::Rgb([0, 0, 255])
            }
        });
        let mut bytes = Vec::new();
        DynamicImage::ImageRgb8(image)
            .write_to(&mut Cursor::new(&mut bytes), ImageFormat::Jpeg)
            .expect("encoded");
        bytes
    }

    #[test]
    fn a_wide_picture_becomes_its_centre_square_scaled_down() {
        let png = square_avatar(&picture(1600, 900)).expect("an avatar");
        let avatar = image::load_from_memory(&png).expect("a PNG").to_rgb8();
        assert_eq!((avatar.width(), avatar.height()), (512, 512));
        // The centre of 1600 × 900 is 900 wide around x = 800: half red, half blue still.
        let left = avatar.get_pixel(10, 256);
        let right = avatar.get_pixel(500, 256);
        assert!(left[0] > 200 && left[2] < 60, "left is red: {left:?}");
        assert!(right[2] > 200 && right[0] < 60, "right is blue: {right:?}");
    }

    #[test]
    fn a_small_picture_keeps_its_size_and_garbage_is_refused() {
        let png = square_avatar(&picture(120, 80)).expect("an avatar");
        let avatar = image::load_from_memory(&png).expect("a PNG");
        assert_eq!((avatar.width(), avatar.height()), (80, 80));
        assert!(matches!(
            square_avatar(b"not a picture at all"),
            Err(ProfileError::NotAPicture)
        ));
        assert!(matches!(square_avatar(&[]), Err(ProfileError::NotAPicture)));
    }
}
