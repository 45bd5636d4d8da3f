//! The guide's sentences in Vietnamese.

use super::GuideText;

pub(super) fn text(k: GuideText) -> &'static str {
    match k {
        GuideText::UnknownNumber => {
            "{shown} không phải là mã phản hồi FTP; các mã gần nhất: {near}"
        }
        GuideText::NotACode => {
            "{word} không phải là mã phản hồi FTP; mã phản hồi gồm ba chữ số, ví dụ 220, \
             331 hoặc 530 (ferroftp explain --list liệt kê tất cả)"
        }
        GuideText::NotACodeRelated => {
            "{word} không phải là mã phản hồi FTP; các mã liên quan đến {word}: {codes}"
        }
        GuideText::ListTakesNoCodes => "--list không nhận mã nào",
        GuideText::NoCodes => {
            "hãy nêu một hoặc nhiều mã phản hồi (ferroftp explain 503), hoặc dùng --list"
        }
    }
}
