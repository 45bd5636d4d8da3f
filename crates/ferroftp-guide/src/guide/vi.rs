//! The Vietnamese (tiếng Việt) pages of the reply-code guide (see [`super`]).
//!
//! In `when` and `fix`, each line (`\n`) is one situation or one step; the first line of
//! `when` is the most common case and is quoted by comparisons.

use super::{Page, PairNote};

/// One page per catalogue code, sorted by code.
pub(super) const PAGES: &[Page] = &[
    Page {
        code: 110,
        title: "Dấu mốc khởi động lại",
        description:
            "Phản hồi sơ bộ được gửi trong khi truyền tệp ở chế độ khối hoặc chế độ nén (MODE B \
                hoặc MODE C). Nội dung có dạng cố định \"MARK yyyy = mmmm\", ghép dấu mốc yyyy \
                của máy khách với dấu mốc mmmm của máy chủ, để sau này có thể tiếp tục một lần \
                truyền bị đứt từ dấu mốc cuối cùng bằng REST.",
        when: "Trong khi truyền ở chế độ khối hoặc chế độ nén, mỗi lần bên gửi chèn một dấu mốc \
                vào dữ liệu.\n\
                ferroftp chỉ truyền ở chế độ luồng (MODE S) nên không bao giờ gửi 110.",
        fix: "Không cần khắc phục: đây là thông tin về tiến độ. Máy khách nào có thể phải tiếp \
                tục truyền thì giữ lại cặp dấu mốc cuối cùng.\n\
                Ở chế độ luồng, hãy tiếp tục bằng REST với một vị trí byte (RFC 3659), ở chế độ \
                nhị phân (TYPE I).",
    },
    Page {
        code: 120,
        title: "Dịch vụ sẵn sàng sau nnn phút",
        description:
            "Máy chủ đã nhận kết nối TCP nhưng chưa sẵn sàng phục vụ; nội dung cho biết máy chủ \
                dự kiến sẵn sàng sau bao nhiêu phút. Khi sẵn sàng, máy chủ sẽ gửi 220; máy khách \
                nên chờ thay vì gửi lệnh.",
        when: "Ngay sau khi kết nối, hoặc sau REIN, tới một máy chủ đang khởi động hoặc đang bảo \
                trì.\n\
                ferroftp không gửi 120: nó chào ngay bằng 220, hoặc từ chối bằng 421 khi không \
                thể phục vụ.",
        fix: "Chờ mã 220 tiếp theo, hoặc kết nối lại sau khoảng thời gian đã nêu.\n\
                Nếu máy khách bỏ cuộc trước khi nhận được 220, hãy tăng thời gian chờ kết nối \
                hoặc thời gian chờ lời chào của nó.",
    },
    Page {
        code: 125,
        title: "Kết nối dữ liệu đã mở; bắt đầu truyền",
        description:
            "Phản hồi sơ bộ cho một lệnh truyền: kết nối dữ liệu đã mở sẵn và việc truyền bắt \
                đầu ngay trên kết nối đó. Phản hồi cuối cùng (226, hoặc lỗi như 426 hay 451) sẽ \
                đến trên kết nối điều khiển khi dữ liệu đã được gửi xong.",
        when: "Sau RETR, STOR, APPE, STOU, LIST, NLST hoặc MLSD khi kết nối dữ liệu đã được thiết \
                lập trước khi lệnh tới, ví dụ khi máy khách đã kết nối vào cổng thụ động trước.\n\
                ferroftp luôn trả lời các lệnh truyền bằng 150; với máy khách, hai mã này có \
                cùng ý nghĩa.",
        fix: "Không cần khắc phục. Hãy chờ phản hồi cuối cùng rồi mới gửi lệnh tiếp theo; trong \
                khi đang truyền, chỉ ABOR, STAT và NOOP được trả lời ngay.",
    },
    Page {
        code: 150,
        title: "Trạng thái tệp tốt; sắp mở kết nối dữ liệu",
        description:
            "Phản hồi sơ bộ cho một lệnh truyền: các bước kiểm tra đã qua (tệp tồn tại, người \
                dùng có quyền đọc hoặc ghi) và máy chủ sắp mở kết nối dữ liệu, hoặc sắp chấp \
                nhận nó ở chế độ thụ động. Tiếp theo là dữ liệu; phản hồi cuối cùng (226 hoặc \
                một lỗi) đến khi việc truyền kết thúc.",
        when: "Sau RETR, STOR, APPE, STOU, LIST, NLST hoặc MLSD: đây là phản hồi đầu tiên bình \
                thường của mọi lần truyền.\n\
                Nếu việc truyền bị treo ngay sau 150 thì vấn đề nằm ở kết nối dữ liệu, không \
                phải ở tệp.",
        fix: "Bản thân mã này không cần khắc phục.\n\
                Nếu ở chế độ thụ động không có gì đến sau 150, tường lửa đang chặn các cổng thụ \
                động: hãy mở toàn bộ dải cổng thụ động của máy chủ (ferroftp --passive-ports) và \
                kiểm tra địa chỉ trong phản hồi 227 (dùng ferroftp --passive-address khi máy chủ \
                ở sau NAT).\n\
                Ở chế độ chủ động (PORT/EPRT), tường lửa hoặc NAT phía máy khách chặn kết nối \
                ngược từ máy chủ: hãy chuyển máy khách sang chế độ thụ động.",
    },
    Page {
        code: 200,
        title: "Lệnh thành công",
        description:
            "Lệnh đã thành công. Đây là phản hồi cho các lệnh thay đổi một thiết lập mà không có \
                gì khác để báo: TYPE, MODE, STRU, PORT, EPRT, PBSZ, PROT, OPTS và NOOP.",
        when: "Sau khi một lệnh thiết lập được chấp nhận, ví dụ sau TYPE I, PBSZ 0 hoặc PROT P, \
                hoặc sau khi PORT hay EPRT đặt địa chỉ cho kết nối dữ liệu ở chế độ chủ động.\n\
                Sau NOOP, lệnh mà máy khách gửi để giữ cho phiên đang rảnh không bị đóng \
                (ferroftp: \"200 NOOP ok.\").",
        fix: "Không cần khắc phục: hãy gửi lệnh tiếp theo.",
    },
    Page {
        code: 202,
        title: "Lệnh không cần thiết trên máy chủ này",
        description:
            "Máy chủ hiểu lệnh nhưng không cần đến nó, nên không làm gì cả. Mã này được tính là \
                thành công: máy khách có thể tiếp tục như thể lệnh đã chạy.",
        when: "Sau ACCT khi máy chủ không dùng tài khoản (ferroftp: \"202 ACCT not needed on this \
                server.\").\n\
                Sau ALLO khi không cần đặt trước dung lượng cho việc tải lên (ferroftp: \"202 No \
                storage allocation necessary.\").\n\
                Sau một lệnh SITE không có việc gì để làm trên máy chủ này.",
        fix: "Không cần khắc phục. Kịch bản nào chỉ chấp nhận đúng mã 200 thì nên chấp nhận mọi \
                phản hồi 2yz.",
    },
    Page {
        code: 211,
        title: "Trạng thái hệ thống hoặc trợ giúp hệ thống",
        description:
            "Phản hồi về trạng thái hoặc trợ giúp, thường gồm nhiều dòng. STAT không có đối số \
                báo cáo về phiên: người dùng, kiểu và chế độ truyền, kết nối dữ liệu, hoặc tiến \
                độ của lần truyền đang chạy. FEAT liệt kê các phần mở rộng mà máy chủ hỗ trợ, \
                giữa dòng đầu \"211-\" và dòng cuối \"211 End\".",
        when: "Sau FEAT, lệnh mà hầu hết máy khách gửi ngay sau khi kết nối hoặc đăng nhập.\n\
                Sau STAT không có đối số, kể cả trong khi đang truyền.\n\
                Sau HELP, trên một số máy chủ (ferroftp trả lời HELP bằng 214).",
        fix: "Không cần khắc phục. Nếu máy khách đọc sai danh sách tính năng, hãy kiểm tra xem nó \
                có xử lý đúng phản hồi nhiều dòng không: dòng có mã kèm dấu gạch ngang mở đầu \
                phản hồi, dòng có cùng mã kèm khoảng trắng kết thúc nó.",
    },
    Page {
        code: 212,
        title: "Trạng thái thư mục",
        description:
            "Trạng thái của một thư mục, gửi qua kết nối điều khiển: một danh sách theo định \
                dạng của LIST mà không cần kết nối dữ liệu.",
        when: "Sau STAT với đối số là một thư mục, ví dụ \"STAT /pub\".",
        fix: "Không cần khắc phục. STAT kèm đường dẫn liệt kê được thư mục ngay cả khi kết nối dữ \
                liệu bị chặn, giúp phân biệt lỗi kết nối dữ liệu (xem 425) với lỗi quyền truy \
                cập.",
    },
    Page {
        code: 213,
        title: "Trạng thái tệp",
        description: "Trạng thái của một tệp, gửi trên kết nối điều khiển. SIZE trả lời \"213 <số \
                byte>\", MDTM trả lời \"213 YYYYMMDDHHMMSS\" theo giờ UTC, MFMT xác nhận thời \
                điểm sửa đổi mới, còn STAT với đối số là tệp cho dòng liệt kê của tệp đó.",
        when: "Sau SIZE, MDTM hoặc MFMT trên một tệp thường đang tồn tại, hoặc STAT trên một tệp.",
        fix: "Không cần khắc phục. SIZE cho biết kích thước đã lưu: ở chế độ ASCII (TYPE A) số \
                byte gửi đi có thể khác vì ký tự xuống dòng được chuyển đổi, nên hãy so sánh \
                kích thước ở chế độ nhị phân (TYPE I).\n\
                Thời điểm của MDTM tính theo UTC, không theo giờ địa phương của máy chủ.",
    },
    Page {
        code: 214,
        title: "Thông điệp trợ giúp",
        description:
            "Văn bản trợ giúp dành cho con người: các lệnh máy chủ biết, hoặc cách dùng một \
                lệnh. Cách diễn đạt không được chuẩn hóa, nên chương trình không nên phân tích \
                nó.",
        when: "Sau HELP, hoặc HELP kèm tên một lệnh (ferroftp: \"214 RETR is supported.\").",
        fix: "Không cần khắc phục. Để chương trình biết máy chủ hỗ trợ những phần mở rộng nào, \
                hãy gửi FEAT thay vì HELP.",
    },
    Page {
        code: 215,
        title: "Kiểu hệ thống NAME",
        description:
            "Kiểu hệ điều hành của máy chủ, là một tên trong danh sách tên hệ thống của IANA, \
                thường kèm thêm chi tiết. \"UNIX Type: L8\" nghĩa là hệ thống kiểu Unix với byte \
                8 bit, và báo cho máy khách biết kết quả LIST có dạng Unix.",
        when: "Sau SYST; nhiều máy khách gửi lệnh này ngay sau khi đăng nhập để chọn cách phân \
                tích danh sách tệp.\n\
                ferroftp luôn trả lời \"215 UNIX Type: L8\" dù chạy trên hệ thống nào, vì danh \
                sách tệp của nó có định dạng Unix.",
        fix: "Không cần khắc phục. Nếu máy khách phân tích sai danh sách tệp, hãy để nó dùng MLSD \
                (các thông tin dạng máy đọc được, RFC 3659) thay cho LIST.",
    },
    Page {
        code: 220,
        title: "Dịch vụ sẵn sàng cho người dùng mới",
        description:
            "Máy chủ sẵn sàng cho việc đăng nhập. Đây là lời chào được gửi ngay khi máy khách \
                kết nối; bước tiếp theo là USER, hoặc trước đó AUTH TLS để mã hóa phiên, hoặc \
                HOST để chọn máy chủ ảo. Cùng mã này cũng trả lời REIN (phiên được đặt lại như \
                ngay sau khi kết nối) và một lệnh HOST thành công.",
        when: "Ngay sau khi kết nối TCP tới cổng điều khiển được thiết lập.\n\
                Sau REIN, lệnh đăng xuất người dùng nhưng vẫn giữ kết nối.\n\
                Sau HOST với tên một máy chủ ảo mà máy chủ phục vụ (RFC 7151; ferroftp: \"220 \
                Host accepted.\").",
        fix: "Không cần khắc phục: mã này nghĩa là thành công.\n\
                Nếu kết nối xong mà không bao giờ nhận được 220, vấn đề nằm dưới tầng FTP: sai \
                máy hoặc sai cổng, tường lửa chặn kết nối, máy chủ đòi TLS ngay từ đầu (FTPS \
                ngầm định, thường ở cổng 990) nhưng máy khách dùng FTP thường, hoặc máy chủ đã \
                đạt giới hạn kết nối (xem 421).",
    },
    Page {
        code: 221,
        title: "Dịch vụ đóng kết nối điều khiển",
        description:
            "Máy chủ đóng kết nối điều khiển vì máy khách yêu cầu: phiên kết thúc bình thường. \
                Người dùng đang đăng nhập sẽ được đăng xuất.",
        when: "Sau QUIT. Nếu đang có lần truyền chạy, 221 đến sau phản hồi cuối cùng của lần \
                truyền đó.",
        fix: "Không cần khắc phục. Nếu phiên kết thúc bằng 221 sớm hơn dự kiến, hãy tìm xem cái \
                gì đã gửi QUIT: một kịch bản hoặc máy khách dừng quá sớm.",
    },
    Page {
        code: 225,
        title: "Kết nối dữ liệu đang mở; không có lần truyền nào",
        description:
            "Kết nối dữ liệu đang mở nhưng rảnh: không có gì đang được truyền. ABOR nhận phản \
                hồi này khi không có gì để hủy. Ở chế độ khối, máy chủ cũng có thể dùng mã này \
                để giữ kết nối dữ liệu mở giữa các lần truyền.",
        when: "Sau ABOR khi không có lần truyền nào đang chạy (ferroftp: \"225 No transfer to \
                abort.\"), thường là vì lần truyền vừa kết thúc ngay trước khi ABOR tới.",
        fix: "Không cần khắc phục: phiên vẫn bình thường. Máy khách gửi ABOR đúng lúc lần truyền \
                kết thúc thì lệnh ABOR chỉ đến sau mã 226.",
    },
    Page {
        code: 226,
        title: "Đóng kết nối dữ liệu",
        description:
            "Việc truyền tệp hoặc liệt kê đã xong và máy chủ đã đóng kết nối dữ liệu: toàn bộ \
                tệp hoặc danh sách đã được gửi hoặc nhận. Sau ABOR, 226 xác nhận việc hủy đã \
                được xử lý (nó đến sau mã 426 của lần truyền bị hủy).",
        when: "Khi kết thúc mỗi lệnh RETR, STOR, APPE, STOU, LIST, NLST và MLSD thành công.\n\
                Sau ABOR, tiếp theo mã 426 của lần truyền mà nó đã dừng.",
        fix: "Không cần khắc phục.\n\
                Nếu tệp nhận được bị thay đổi dù đã có 226, hãy kiểm tra kiểu truyền: chế độ \
                ASCII (TYPE A) chuyển đổi ký tự xuống dòng, nên hãy gửi TYPE I cho các tệp nhị \
                phân như tệp nén và hình ảnh.",
    },
    Page {
        code: 227,
        title: "Vào chế độ thụ động",
        description:
            "Máy chủ đã mở một cổng cho kết nối dữ liệu và chờ máy khách kết nối tới. Nội dung \
                chứa địa chỉ dưới dạng sáu số h1,h2,h3,h4,p1,p2: địa chỉ IPv4 h1.h2.h3.h4 và \
                cổng p1 × 256 + p2.",
        when: "Sau PASV trên một kết nối điều khiển IPv4.\n\
                Trên kết nối IPv6, PASV không thể mô tả địa chỉ; ferroftp trả lời 425 và yêu cầu \
                dùng EPSV.",
        fix: "Nếu sau đó máy khách không kết nối được tới cổng dữ liệu, hãy kiểm tra địa chỉ \
                trong phản hồi: máy chủ ở sau NAT phải thông báo địa chỉ công khai của mình \
                (ferroftp --passive-address 203.0.113.7), hoặc máy khách phải bỏ qua địa chỉ này \
                (nhiều máy khách có tùy chọn như vậy).\n\
                Mở toàn bộ dải cổng thụ động (ferroftp --passive-ports 50000-50100) trên mọi \
                tường lửa dọc đường đi và chuyển tiếp dải đó qua NAT tới máy chủ.\n\
                Nên dùng EPSV: phản hồi 229 của nó chỉ chứa cổng, nên địa chỉ sai không thể làm \
                hỏng nó, và nó hoạt động với IPv6.",
    },
    Page {
        code: 228,
        title: "Vào chế độ thụ động dài",
        description:
            "Phản hồi cho LPSV (RFC 1639), một cách cũ để yêu cầu chế độ thụ động với địa chỉ có \
                độ dài bất kỳ, chẳng hạn IPv6. Nội dung liệt kê họ địa chỉ, độ dài và các byte \
                của địa chỉ, rồi độ dài và các byte của cổng.",
        when: "Chỉ từ những máy chủ có cài đặt LPSV, để trả lời lệnh đó. ferroftp không cài đặt \
                LPSV và trả lời nó bằng 502.",
        fix: "Hãy dùng EPSV (RFC 2428): nó hoạt động với cả IPv4 lẫn IPv6 và hầu như máy chủ nào \
                cũng hỗ trợ.",
    },
    Page {
        code: 229,
        title: "Vào chế độ thụ động mở rộng",
        description:
            "Máy chủ đã mở một cổng cho kết nối dữ liệu. Nội dung chỉ cho biết cổng, dạng \
                (|||cổng|); máy khách kết nối tới chính địa chỉ mà nó đã dùng cho kết nối điều \
                khiển. Nhờ vậy EPSV hoạt động qua IPv6 và qua NAT mà không cần thiết lập thêm.",
        when: "Sau EPSV (hoặc EPSV 1 cho IPv4, EPSV 2 cho IPv6).",
        fix: "Bản thân mã này không cần khắc phục.\n\
                Nếu sau đó không kết nối được tới cổng, tường lửa đang chặn nó: hãy mở dải cổng \
                thụ động của máy chủ (ferroftp --passive-ports) trên mọi tường lửa dọc đường đi \
                và chuyển tiếp dải đó qua NAT tới máy chủ.",
    },
    Page {
        code: 230,
        title: "Người dùng đã đăng nhập",
        description:
            "Đăng nhập thành công: từ giờ phiên có thể dùng mọi lệnh mà quyền của tài khoản cho \
                phép.",
        when: "Sau PASS với mật khẩu đúng (ferroftp: \"230 Login successful.\").\n\
                Sau riêng USER khi tài khoản không cần mật khẩu.\n\
                Sau ACCT, trên những máy chủ yêu cầu tài khoản.",
        fix: "Không cần khắc phục. Nếu các lệnh sau đó thất bại với 550, vấn đề nằm ở quyền của \
                tài khoản hoặc thư mục gốc của nó (xem 550).",
    },
    Page {
        code: 232,
        title: "Người dùng đã đăng nhập, được cấp quyền qua trao đổi dữ liệu bảo mật",
        description: "RFC 2228 dùng 232 cho lần đăng nhập không cần mật khẩu: quá trình trao đổi \
                bảo mật (AUTH với một cơ chế như Kerberos, rồi ADAT) đã chứng minh người dùng là \
                ai, nên chỉ cần USER là đăng nhập được. Một số danh sách mã còn gán cho 232 nghĩa \
                không chính thức \"đã ghi nhận lệnh đăng xuất, sẽ thực hiện khi truyền xong\".",
        when: "Sau USER trong một phiên được bảo mật bằng cơ chế xác định được người dùng. \
                ferroftp không bao giờ gửi mã này: cơ chế duy nhất của nó là TLS, và đăng nhập qua \
                TLS vẫn cần PASS (331, rồi 230).",
        fix: "Không cần khắc phục: tiếp tục như sau 230.",
    },
    Page {
        code: 234,
        title: "Trao đổi dữ liệu bảo mật hoàn tất",
        description:
            "Máy chủ đã chấp nhận cơ chế bảo mật nêu trong AUTH. Với AUTH TLS (RFC 4217), mã này \
                nghĩa là: hãy bắt đầu bắt tay TLS ngay bây giờ, trên kết nối điều khiển. Mọi \
                lệnh và phản hồi sau đó đều đi bên trong TLS.",
        when: "Sau AUTH TLS (hoặc AUTH SSL cũ hơn) trên máy chủ đã cấu hình TLS.",
        fix: "Không cần khắc phục. Các bước tiếp theo là PBSZ 0 và PROT P (mã hóa kết nối dữ \
                liệu) hoặc PROT C (không mã hóa) trước lần truyền đầu tiên, rồi USER và PASS.\n\
                Nếu bắt tay thất bại ngay sau 234, hãy kiểm tra chứng chỉ của máy chủ (hết hạn, \
                sai tên, thiếu chuỗi chứng chỉ) và các phiên bản TLS mà hai bên cho phép.",
    },
    Page {
        code: 235,
        title: "Trao đổi dữ liệu bảo mật đã thành công",
        description:
            "Quá trình trao đổi ADAT của một cơ chế bảo mật như GSSAPI (Kerberos) đã xong và máy \
                khách đã được xác thực; nội dung có thể mang dữ liệu bảo mật cuối cùng \
                (ADAT=base64).",
        when: "Sau lệnh ADAT cuối cùng của một cơ chế không phải TLS. TLS không dùng ADAT nên máy \
                khách FTPS không bao giờ thấy 235; ferroftp không cài đặt ADAT.",
        fix: "Không cần khắc phục. Hãy tiếp tục với USER, rồi PBSZ và PROT nếu cần bảo vệ kết nối \
                dữ liệu.",
    },
    Page {
        code: 250,
        title: "Thao tác tệp đã hoàn tất",
        description: "Một thao tác trên tệp hoặc thư mục không cần kết nối dữ liệu đã thành công.",
        when: "Sau CWD hoặc CDUP (đã đổi thư mục), DELE (đã xóa tệp), RMD (đã xóa thư mục), RNTO \
                (đã đổi tên), MFMT trên một số máy chủ, hoặc MLST (thông tin của một tệp, gửi \
                trên kết nối điều khiển).",
        fix: "Không cần khắc phục. Gửi PWD để xem thư mục hiện tại sau CWD.",
    },
    Page {
        code: 257,
        title: "Đã tạo \"ĐƯỜNG DẪN\"",
        description:
            "Phản hồi mang một đường dẫn trong dấu ngoặc kép: thư mục hiện tại sau PWD, hoặc thư \
                mục vừa tạo sau MKD. Dấu ngoặc kép nằm trong tên được viết hai lần.",
        when: "Sau PWD, ví dụ 257 \"/pub\" là thư mục hiện tại.\n\
                Sau MKD, nêu tên thư mục mới.",
        fix: "Không cần khắc phục. Máy khách phải đọc đường dẫn nằm giữa dấu ngoặc kép đầu tiên \
                và cuối cùng; trong tên, \"\" thay cho một ký tự \".",
    },
    Page {
        code: 331,
        title: "Tên người dùng hợp lệ, cần mật khẩu",
        description:
            "Máy chủ đã nhận tên người dùng và đang chờ mật khẩu. Mã này không có nghĩa là tài \
                khoản tồn tại: máy chủ cũng trả lời 331 cho tên không có thật, để không ai dò \
                được tài khoản nào tồn tại.",
        when: "Sau USER, dù tài khoản có tồn tại hay không.",
        fix: "Gửi PASS kèm mật khẩu ngay sau đó.\n\
                Nếu sau đó PASS thất bại với 530, có thể tên người dùng cũng sai chứ không chỉ \
                mật khẩu.",
    },
    Page {
        code: 332,
        title: "Cần tài khoản để đăng nhập",
        description:
            "Ngoài tên người dùng và mật khẩu, máy chủ còn cần một tài khoản (ACCT) trước khi \
                cho người dùng vào. Tài khoản là tính năng tính phí hoặc phân bổ tài nguyên của \
                các hệ thống cũ.",
        when: "Sau USER hoặc PASS trên máy chủ yêu cầu ACCT. ferroftp không bao giờ yêu cầu tài \
                khoản.",
        fix: "Gửi ACCT kèm tài khoản mà quản trị viên đã cấp cho bạn.",
    },
    Page {
        code: 334,
        title: "Cơ chế bảo mật được chấp nhận, cần dữ liệu bảo mật",
        description:
            "Máy chủ đã chấp nhận cơ chế nêu trong AUTH và chờ máy khách tiếp tục trao đổi bằng \
                ADAT; nội dung có thể đã mang sẵn dữ liệu bảo mật (ADAT=base64).",
        when: "Sau AUTH với một cơ chế dùng ADAT, chẳng hạn GSSAPI.\n\
                Một số máy chủ cũ gửi 334 cho AUTH TLS, trong khi RFC 4217 yêu cầu 234.",
        fix: "Tiếp tục bằng ADAT theo yêu cầu của cơ chế.\n\
                Nếu bạn định dùng TLS, hãy gửi AUTH TLS; với máy chủ trả lời AUTH TLS bằng 334, \
                máy khách có thể cần một tùy chọn tương thích.",
    },
    Page {
        code: 335,
        title: "Dữ liệu bảo mật được chấp nhận, cần thêm",
        description:
            "Dữ liệu gửi bằng ADAT đã được chấp nhận, nhưng quá trình trao đổi chưa xong; nội \
                dung có thể mang dữ liệu cho lệnh ADAT tiếp theo của máy khách.",
        when: "Trong một quá trình trao đổi bảo mật gồm nhiều bước ADAT (GSSAPI, Kerberos).",
        fix: "Gửi lệnh ADAT tiếp theo, do thư viện bảo mật của máy khách tạo ra từ dữ liệu trong \
                phản hồi này.",
    },
    Page {
        code: 336,
        title: "Tên người dùng hợp lệ, cần mật khẩu; kèm thử thách",
        description:
            "Giống 331, nhưng nội dung mang một thử thách dành cho các hệ thống mật khẩu dùng \
                một lần như S/KEY hoặc OTP: mật khẩu cần gửi được tính từ thử thách đó.",
        when: "Sau USER trên máy chủ dùng mật khẩu kiểu thử thách - trả lời.",
        fix: "Tính câu trả lời cho thử thách bằng công cụ mật khẩu dùng một lần của bạn, rồi gửi \
                nó bằng PASS.",
    },
    Page {
        code: 350,
        title: "Thao tác tệp đang chờ thêm thông tin",
        description:
            "Nửa đầu của một thao tác gồm hai lệnh đã được chấp nhận và máy chủ đang chờ nửa \
                sau: RNFR đã được chấp nhận và phải tiếp theo là RNTO, hoặc REST đã được chấp \
                nhận và RETR, STOR hay APPE sẽ bắt đầu từ vị trí đã cho.",
        when: "Sau RNFR với tên một tệp hoặc thư mục đang tồn tại (ferroftp: \"350 File exists, \
                ready for destination name: send RNTO.\").\n\
                Sau REST với một vị trí hợp lệ (ferroftp: \"350 Restarting at N. Send RETR, STOR \
                or APPE to resume.\").",
        fix: "Gửi lệnh thứ hai ngay sau đó: RNTO ngay sau RNFR, vì bất kỳ lệnh nào khác xen vào \
                giữa sẽ hủy việc đổi tên và RNTO khi đó nhận 503.\n\
                Sau REST, hãy gửi RETR, STOR hoặc APPE; ferroftp giữ vị trí qua các lệnh chỉ \
                chuẩn bị cho việc truyền (TYPE, PASV, EPSV, PORT, EPRT, SIZE, MDTM), còn mọi \
                lệnh khác sẽ xóa nó.",
    },
    Page {
        code: 421,
        title: "Dịch vụ không khả dụng, đóng kết nối điều khiển",
        description:
            "Máy chủ đang đóng kết nối điều khiển. Mã này có thể trả lời bất kỳ lệnh nào, hoặc \
                đến ngay khi kết nối, bất cứ khi nào máy chủ quyết định kết thúc phiên: giới hạn \
                kết nối, hết thời gian chờ khi rảnh, hoặc tắt máy chủ.",
        when: "Khi kết nối, nếu máy chủ đã đạt giới hạn số kết nối (ferroftp: \"421 Too many \
                connections: try again later.\", --max-connections), hoặc giới hạn theo từng địa \
                chỉ (--max-connections-per-ip).\n\
                Sau khi phiên rảnh lâu hơn thời gian chờ (ferroftp: \"421 Timeout: closing \
                control connection.\", --idle-timeout, mặc định 600 giây).\n\
                Khi một kết nối chưa đăng nhập trong thời hạn đăng nhập, dù nó đã gửi bao nhiêu \
                (ferroftp: \"421 Login timeout: closing control connection.\", \
                --login-timeout, mặc định 60 giây).\n\
                Khi máy chủ đang tắt hoặc khởi động lại (ferroftp: \"421 Server shutting down: \
                closing control connection.\").\n\
                Khi kết nối, hoặc tại PASS, từ một địa chỉ bị cấm sau quá nhiều lần đăng nhập \
                thất bại (ferroftp: \"421 Too many failed logins from your address: try again \
                later.\", --ban-after-failures trong --ban-window, trong --ban-duration); tại PASS \
                sau lần đăng nhập thất bại cuối cùng mà một kết nối được phép (\"421 Too many \
                failed logins: closing control connection.\", --max-login-failures); tại PASS khi \
                quá nhiều lần đăng nhập đang chờ kiểm tra mật khẩu (\"421 Too many logins in \
                progress: try again later.\", --max-concurrent-hashes, --login-queue-timeout).",
        fix: "Kết nối lại. Với giới hạn kết nối, hãy thử lại sau, hoặc đóng các phiên khác của \
                máy khách: máy khách mở nhiều kết nối song song sẽ chạm giới hạn theo địa chỉ \
                trước tiên.\n\
                Với việc hết thời gian chờ khi rảnh, hãy để máy khách thỉnh thoảng gửi NOOP, \
                hoặc tăng thời gian chờ của máy chủ.\n\
                Quản trị viên: tăng --max-connections hoặc --max-connections-per-ip nếu máy \
                khách hợp lệ chạm giới hạn, và khởi động lại máy chủ khi không có lần truyền nào \
                đang chạy.",
    },
    Page {
        code: 425,
        title: "Không mở được kết nối dữ liệu",
        description:
            "Máy chủ không thiết lập được kết nối dữ liệu mà lệnh truyền hoặc liệt kê cần, nên \
                lệnh không chạy và không có gì được truyền. Kết nối điều khiển vẫn mở.",
        when: "Sau RETR, STOR, APPE, STOU, LIST, NLST hoặc MLSD khi trước đó không có PASV, EPSV, \
                PORT hay EPRT (ferroftp: \"425 Use PORT, PASV, EPSV or EPRT first.\").\n\
                Khi máy khách không kết nối tới cổng thụ động kịp thời (ferroftp: \
                --data-timeout, mặc định 30 giây), thường vì tường lửa hoặc NAT đã chặn, hoặc \
                khi máy chủ không kết nối được tới địa chỉ mà PORT hay EPRT đưa ra.\n\
                Kết nối tới cổng thụ động từ một địa chỉ khác với địa chỉ của máy khách bị đóng \
                ngay, và ferroftp tiếp tục chờ kết nối của chính máy khách.\n\
                Sau PASV hoặc EPSV khi mọi cổng thụ động vẫn bận sau --passive-wait (mặc định 2 \
                giây) (ferroftp: \"425 Can't open passive connection: no passive port free: try \
                again.\"), hoặc khi địa chỉ của máy khách đã giữ --max-passive-per-ip cổng thụ \
                động mà chưa ai kết nối tới (ferroftp: \"425 Can't open passive connection: too \
                many waiting from your address, use the ones you have.\").\n\
                Sau PASV hoặc EPSV, hoặc một lần truyền qua PORT hay EPRT, khi toàn máy chủ đã \
                chạy --max-transfers kết nối dữ liệu (ferroftp: \"425 Can't open data \
                connection: the server has too many transfers at once, try again shortly.\"); \
                máy khách có thể thử lại sau giây lát.\n\
                Sau PASV trên kết nối IPv6 (ferroftp: \"425 PASV needs IPv4: use EPSV on IPv6 \
                connections.\").",
        fix: "Gửi PASV hoặc EPSV (hoặc PORT/EPRT) trước mỗi lệnh truyền; máy khách ở chế độ thụ \
                động tự làm việc này.\n\
                Chế độ thụ động qua tường lửa: mở dải cổng thụ động của máy chủ (ferroftp \
                --passive-ports 50000-50100) cùng với cổng điều khiển, và chuyển tiếp dải đó qua \
                NAT tới máy chủ.\n\
                Khi máy chủ ở sau NAT, hãy để phản hồi PASV mang địa chỉ công khai (ferroftp \
                --passive-address), hoặc để máy khách dùng EPSV.\n\
                Chế độ chủ động (PORT/EPRT) hiếm khi hoạt động khi máy khách ở sau NAT hoặc \
                tường lửa: hãy chuyển máy khách sang chế độ thụ động.\n\
                Quản trị viên: khi máy khách chạm giới hạn truyền, hãy tăng --max-transfers cùng \
                với giới hạn số tệp mở (ulimit -n, LimitNOFILE=): mỗi kết nối dữ liệu tốn ba \
                bộ mô tả tệp.",
    },
    Page {
        code: 426,
        title: "Kết nối bị đóng; việc truyền bị hủy",
        description:
            "Kết nối dữ liệu đã mở nhưng việc truyền không hoàn tất: nó bị hủy, hoặc kết nối bị \
                đứt giữa chừng. Một phần dữ liệu có thể đã được truyền.",
        when: "Sau ABOR trong khi đang truyền; tiếp theo sẽ có 226 để xác nhận việc hủy.\n\
                Khi máy khách, tường lửa, thiết bị NAT hoặc mạng đóng kết nối dữ liệu giữa chừng \
                (ferroftp: \"426 Data connection closed: transfer aborted.\").\n\
                ferroftp bỏ đi tệp tải lên dở dang (\"426 Data connection lost: upload \
                discarded.\"), trừ APPE và việc tải lên tiếp tục (REST rồi STOR), vốn giữ lại \
                phần đã ghi.\n\
                Với PROT P, một tệp tải lên có kết nối dữ liệu TLS kết thúc mà không có \
                close_notify có thể đã bị kẻ ở giữa cắt ngắn: ferroftp bỏ nó đi (\"426 Data \
                connection closed without TLS close_notify: upload discarded as truncated.\") \
                trừ khi đặt --tls-upload-requires-close-notify false.\n\
                Khi kết nối dữ liệu không chuyển byte nào trong thời hạn đứng yên: máy khách \
                ngừng đọc khi tải xuống hoặc liệt kê, hoặc ngừng gửi khi tải lên (ferroftp: \
                \"426 No data moved for too long: transfer aborted.\", --stall-timeout, mặc \
                định 60 giây); phần tải lên dở dang bị bỏ đi và tệp cũ được giữ nguyên.",
        fix: "426 sau ABOR là bình thường: không cần khắc phục.\n\
                Nếu không, hãy truyền lại; để tiếp tục tải xuống một tệp lớn, gửi TYPE I, rồi \
                REST với số byte đã nhận, rồi RETR.\n\
                Nếu việc truyền cứ bị đứt lặp đi lặp lại, hãy tìm tường lửa hoặc thiết bị NAT \
                cắt các kết nối dữ liệu lâu hoặc rảnh, hoặc mạng không ổn định.",
    },
    Page {
        code: 431,
        title: "Thiếu tài nguyên cần thiết để xử lý bảo mật",
        description:
            "Máy chủ không thể xử lý yêu cầu bảo mật lúc này vì thiếu thứ nó cần, chẳng hạn \
                khóa, vé hoặc dịch vụ chứng chỉ. Đây là lỗi tạm thời: cùng yêu cầu đó có thể \
                thành công sau.",
        when:
            "Sau AUTH hoặc ADAT (RFC 2228) khi cấu hình bảo mật của máy chủ chưa đầy đủ hoặc một \
                dịch vụ mà nó phụ thuộc đang ngừng.",
        fix: "Thử lại sau.\n\
                Nếu lỗi kéo dài, quản trị viên nên kiểm tra khóa, chứng chỉ, cấu hình cơ chế bảo \
                mật của máy chủ và các dịch vụ mà chúng phụ thuộc.",
    },
    Page {
        code: 450,
        title: "Không thực hiện thao tác tệp; tệp tạm thời không dùng được",
        description:
            "Thao tác tệp không được thực hiện vì tệp đang bận hoặc tạm thời không dùng được, \
                chẳng hạn bị một tiến trình khác khóa. Đây là lỗi tạm thời: cùng lệnh đó có thể \
                thành công sau.",
        when: "Sau RETR, STOR, APPE, DELE, RNFR, RNTO, LIST hoặc MLSD khi tệp bị khóa, đang được \
                ghi, hoặc nằm trên bộ lưu trữ tạm thời không truy cập được.",
        fix: "Thử lại sau một lúc.\n\
                Nếu lỗi không bao giờ hết, hãy tìm thứ đang giữ tệp: một lần tải lên khác, \
                chương trình sao lưu hoặc trình quét vi-rút.",
    },
    Page {
        code: 451,
        title: "Thao tác bị hủy: lỗi cục bộ khi xử lý",
        description:
            "Máy chủ gặp lỗi của chính nó, chẳng hạn lỗi đọc ghi đĩa hoặc lỗi bộ lưu trữ, khi \
                thực hiện lệnh. Đây là lỗi tạm thời: thử lại có thể thành công. Chi tiết nằm \
                trong nhật ký của máy chủ, không nằm trong phản hồi.",
        when:
            "Sau bất kỳ lệnh tệp nào (RETR, STOR, APPE, DELE, MKD, RMD, RNTO, LIST, MLSD) khi bộ \
                lưu trữ lỗi theo cách không lường trước (ferroftp: \"451 Local error in \
                processing.\").\n\
                ferroftp cũng gửi mã này khi không lưu được tệp tải lên, và khi đó bỏ đi phần đã \
                nhận, hoặc khi STOU không tìm được tên trống.",
        fix: "Gửi lại lệnh.\n\
                Nếu lỗi lặp lại, quản trị viên nên đọc nhật ký máy chủ, nơi ghi lại lỗi lưu trữ, \
                và kiểm tra đĩa, hệ thống tệp và phần lưu trữ phía sau.\n\
                Người dùng: hãy báo thời điểm và lệnh bị lỗi cho quản trị viên.",
    },
    Page {
        code: 452,
        title: "Không thực hiện; không đủ dung lượng lưu trữ",
        description:
            "Máy chủ không còn đủ dung lượng để lưu tệp. Đây là lỗi tạm thời: dung lượng có thể \
                được giải phóng sau.",
        when: "Sau STOR, APPE, STOU hoặc MKD khi đĩa của máy chủ đã đầy hoặc hạn mức của người \
                dùng trên hệ thống tệp đã dùng hết (ferroftp: \"452 Insufficient storage \
                space.\").",
        fix: "Xóa các tệp không còn cần trên máy chủ, hoặc xin quản trị viên thêm dung lượng, rồi \
                thử lại.\n\
                Để khỏi phải gửi lại từ đầu, hãy tiếp tục tải lên bằng REST và STOR, hoặc APPE, \
                nếu máy khách hỗ trợ.",
    },
    Page {
        code: 500,
        title: "Lỗi cú pháp, không nhận ra lệnh",
        description:
            "Máy chủ hoàn toàn không đọc được dòng lệnh: một từ không biết, một dòng bị hỏng, \
                hoặc một dòng quá dài.",
        when: "Sau một dòng dài hơn giới hạn của máy chủ (ferroftp: 4096 byte, \"500 Command line \
                too long.\").\n\
                Khi thứ gì đó không phải FTP tới cổng điều khiển, chẳng hạn yêu cầu HTTP của \
                trình duyệt web (ferroftp trả lời 500 rồi đóng kết nối).\n\
                Sau một lệnh không biết, trên một số máy chủ; ferroftp trả lời lệnh không biết \
                bằng 502.",
        fix: "Kiểm tra xem máy khách có nói FTP thường với cổng này không: không phải HTTP, SFTP \
                (SSH, cổng 22) hay FTPS ngầm định (cổng 990).\n\
                Kiểm tra chính tả của lệnh, và rút ngắn các đường dẫn quá dài.\n\
                Nếu máy khách gửi lệnh mà máy chủ không biết, hãy tắt tính năng đó trong máy \
                khách.",
    },
    Page {
        code: 501,
        title: "Lỗi cú pháp trong tham số hoặc đối số",
        description: "Máy chủ nhận ra lệnh, nhưng đối số của nó bị thiếu hoặc sai dạng.",
        when: "Một lệnh cần đối số nhưng được gửi không kèm đối số, chẳng hạn RETR hoặc CWD đứng \
                một mình (ferroftp: \"501 Syntax error: this command needs an argument.\").\n\
                Một đối số sai dạng: PORT với số vượt ngoài phạm vi, EPRT với một trường sai, \
                REST với thứ không phải số, tùy chọn OPTS không biết, MFMT với thời điểm sai, \
                hoặc MLSD trên một tệp thay vì thư mục.\n\
                LIST hoặc NLST với mẫu shell dài quá 256 byte hoặc có hơn 32 ký tự đại diện \
                (ferroftp: \"501 Pattern too long or too complex: at most 256 bytes and 32 \
                wildcards.\").\n\
                PORT hoặc EPRT chỉ tới một máy khác với máy khách: ferroftp từ chối các yêu cầu \
                FTP bounce như vậy trừ khi đặt --allow-foreign-data-address.\n\
                PORT hoặc EPRT chỉ tới một cổng dưới 1024 (RFC 2577; ferroftp: \"501 PORT/EPRT \
                to a port below 1024 refused: use a port from 1024 up.\").\n\
                Một dòng không phải UTF-8 hợp lệ (ferroftp: \"501 Command is not valid UTF-8.\").",
        fix: "Đối chiếu đối số với cú pháp của lệnh trong RFC, hoặc dùng HELP.\n\
                Với lỗi PORT và EPRT khi ở sau NAT, hãy dùng chế độ thụ động (PASV hoặc EPSV) \
                thay thế.\n\
                Gửi tên tệp bằng UTF-8 (RFC 2640): đặt bảng mã của máy khách là UTF-8.",
    },
    Page {
        code: 502,
        title: "Lệnh chưa được cài đặt",
        description: "Máy chủ không cài đặt lệnh này.",
        when: "Sau một lệnh mà ferroftp không hỗ trợ hoặc không biết, chẳng hạn SMNT, LPSV, ADAT \
                hoặc một lỗi gõ phím (ferroftp: \"502 Unknown command X.\").\n\
                Sau AUTH TLS khi máy chủ chưa cấu hình TLS (ferroftp: \"502 TLS is not \
                configured on this server.\").",
        fix: "Dùng một cách thay thế được hỗ trợ: FEAT liệt kê các phần mở rộng của máy chủ, HELP \
                liệt kê các lệnh.\n\
                Trong máy khách, hãy tắt tính năng gửi lệnh đó.\n\
                Với TLS, hãy đề nghị quản trị viên cấu hình chứng chỉ, hoặc chỉ kết nối không có \
                AUTH TLS trên mạng mà bạn tin cậy.",
    },
    Page {
        code: 503,
        title: "Sai thứ tự lệnh",
        description:
            "Lệnh hợp lệ, nhưng chưa đúng lúc trong phiên: phải có một lệnh khác đi trước. Các \
                RFC định nghĩa một số chuỗi hai hoặc ba lệnh, và lệnh gửi sai thứ tự sẽ nhận \
                503. Nội dung phản hồi của ferroftp nêu tên lệnh cần gửi trước.",
        when: "PASS mà ngay trước đó không có USER: hãy gửi USER, rồi PASS (ferroftp: \"503 Login \
                with USER first.\").\n\
                RNTO không ngay sau một RNFR thành công: hãy gửi RNFR, rồi RNTO, không xen lệnh \
                nào vào giữa (\"503 RNFR required first.\").\n\
                PBSZ trước AUTH TLS, hoặc PROT trước PBSZ: thứ tự đúng là AUTH TLS, rồi PBSZ 0, \
                rồi PROT P (\"503 Send AUTH TLS first.\", \"503 Send PBSZ 0 first.\").\n\
                PASV, PORT hoặc EPRT sau EPSV ALL: từ lúc đó chỉ EPSV được thiết lập kết nối dữ \
                liệu cho RETR, STOR hoặc LIST (\"503 EPSV ALL is in effect: use EPSV.\").\n\
                RETR, STOR hoặc LIST mà trước đó không có PASV hay EPSV (hoặc PORT/EPRT): nhiều \
                máy chủ trả lời 503; ferroftp trả lời 425.\n\
                REST mà theo sau không phải RETR hay STOR: một số máy chủ trả lời 503; ferroftp \
                bỏ vị trí đã đặt khi có lệnh khác xen vào.\n\
                HOST sau USER hoặc sau khi đăng nhập: HOST phải đi trước USER (RFC 7151; \"503 \
                HOST must be sent before USER.\").\n\
                USER hoặc PASS khi đã đăng nhập, hoặc AUTH trên một kết nối đã được mã hóa.\n\
                Một lệnh gửi trong khi đang truyền: một số máy chủ trả lời 503; ferroftp trả \
                lời lệnh đó khi việc truyền kết thúc (NOOP, STAT và ABOR được trả lời ngay).",
        fix: "Đọc nội dung phản hồi: nó nêu tên lệnh cần gửi trước.\n\
                Gửi mỗi chuỗi lệnh theo đúng thứ tự: USER → PASS; RNFR → RNTO; PASV hoặc EPSV → \
                RETR, STOR hoặc LIST (mỗi lần truyền một lần); AUTH TLS → PBSZ 0 → PROT P; REST \
                → RETR hoặc STOR; HOST → USER → PASS.\n\
                Không gửi lệnh nào khác vào giữa một chuỗi: ngay cả một NOOP giữa RNFR và RNTO \
                cũng hủy việc đổi tên.\n\
                Để đăng nhập bằng người dùng khác, hãy gửi REIN trước (ferroftp chỉ cho phép \
                USER khi đã đăng nhập nếu bật --allow-user-switch).\n\
                Nếu máy khách gửi lệnh sai thứ tự, hãy cập nhật nó hoặc đổi thiết lập gây ra \
                lỗi, chẳng hạn tùy chọn HOST hoặc TLS tường minh của nó.",
    },
    Page {
        code: 504,
        title: "Lệnh không hỗ trợ tham số đó",
        description: "Lệnh và cú pháp đều đúng, nhưng máy chủ không hỗ trợ giá trị đã cho.",
        when:
            "TYPE, MODE hoặc STRU với giá trị mà máy chủ không hỗ trợ: ferroftp hỗ trợ TYPE A và \
                I (cùng L 8), MODE S và STRU F.\n\
                REST với vị trí khác 0 ở chế độ ASCII (ferroftp: \"504 REST is not supported in \
                ASCII mode: send TYPE I first.\").\n\
                AUTH với cơ chế khác TLS hoặc SSL (\"504 Unsupported security mechanism: use \
                AUTH TLS.\").\n\
                HOST với tên một máy chủ ảo mà máy chủ không phục vụ (\"504 Unknown virtual \
                host.\").",
        fix: "Dùng giá trị được hỗ trợ: TYPE I cho tệp nhị phân, MODE S, STRU F; gửi TYPE I trước \
                REST; dùng AUTH TLS.\n\
                Với HOST, hãy dùng một trong các tên mà máy chủ được cấu hình (ferroftp --host), \
                hoặc bỏ HOST đi.",
    },
    Page {
        code: 521,
        title: "Không thể mở kết nối dữ liệu với mức PROT này",
        description:
            "Máy chủ từ chối mở kết nối dữ liệu ở mức bảo vệ dữ liệu hiện tại: chính sách của nó \
                yêu cầu kết nối dữ liệu được mã hóa (PROT P) trong khi máy khách để ở dạng không \
                mã hóa (PROT C), hoặc ngược lại.",
        when: "Sau RETR, STOR, LIST hoặc một lệnh truyền khác trong phiên FTPS có mức PROT mà \
                chính sách của máy chủ không cho phép.\n\
                Một số máy chủ còn dùng 521 cho MKD trên thư mục đã tồn tại; cách dùng này không \
                theo chuẩn.",
        fix: "Gửi PBSZ 0 và PROT P sau AUTH TLS, trước lần truyền đầu tiên; trong thiết lập của \
                máy khách, đây là tùy chọn \"mã hóa kết nối dữ liệu\" hoặc \"yêu cầu FTP qua TLS \
                tường minh\".\n\
                Nếu máy khách không dùng được TLS trên kết nối dữ liệu, quản trị viên phải cho \
                phép PROT C.",
    },
    Page {
        code: 522,
        title: "Không hỗ trợ giao thức mạng",
        description:
            "EPRT hoặc EPSV nêu một giao thức mạng mà máy chủ không hỗ trợ ở đây. Phản hồi liệt \
                kê các giao thức được hỗ trợ trong ngoặc đơn: (1,2) nghĩa là IPv4 và IPv6.",
        when: "Sau EPRT hoặc EPSV với số giao thức khác 1 (IPv4) hoặc 2 (IPv6) (ferroftp: \"522 \
                Network protocol not supported, use (1,2).\").\n\
                Một số máy chủ (vsftpd) còn gửi 522 khi truyền nếu bắt tay TLS trên kết nối dữ \
                liệu thất bại, chẳng hạn khi chúng yêu cầu dùng lại phiên TLS mà máy khách không \
                dùng lại.",
        fix: "Dùng EPRT |1|... hoặc EPSV 1 cho IPv4, và |2| hoặc EPSV 2 cho IPv6, theo danh sách \
                trong phản hồi; EPSV không kèm đối số để máy chủ dùng giao thức của kết nối điều \
                khiển.\n\
                Với yêu cầu dùng lại phiên TLS, hãy dùng máy khách biết dùng lại phiên TLS của \
                kết nối điều khiển cho kết nối dữ liệu (các bản FileZilla, lftp và curl hiện nay \
                đều làm được), hoặc đề nghị quản trị viên nới lỏng yêu cầu đó.",
    },
    Page {
        code: 530,
        title: "Chưa đăng nhập",
        description: "Lệnh cần người dùng đã đăng nhập, hoặc lần đăng nhập vừa rồi thất bại.",
        when: "Sau PASS với tên người dùng hoặc mật khẩu sai (ferroftp: \"530 Login incorrect.\", \
                gửi sau một khoảng trễ ngắn để làm chậm việc dò mật khẩu).\n\
                Bất kỳ lệnh nào cần đăng nhập (CWD, LIST, RETR...) được gửi trước khi đăng nhập \
                (\"530 Please login with USER and PASS.\").\n\
                Đăng nhập ẩn danh (USER anonymous hoặc ftp) trên máy chủ không cho phép: \
                ferroftp chỉ cho phép khi có --anonymous-root.\n\
                Trên máy chủ yêu cầu TLS, USER hoặc PASS gửi trên kết nối không mã hóa, trước \
                AUTH TLS.\n\
                Mật khẩu đúng nhưng thư mục gốc của tài khoản không tồn tại (ferroftp: \"530 \
                Login failed: home directory not available.\").",
        fix: "Kiểm tra tên người dùng và mật khẩu: cả hai đều phân biệt chữ hoa chữ thường, và \
                kịch bản thường vô tình thêm khoảng trắng hoặc ký tự xuống dòng. Quản trị viên \
                đặt lại mật khẩu bằng ferroftp user passwd TÊN.\n\
                Đăng nhập bằng USER và PASS trước mọi lệnh khác.\n\
                Để truy cập ẩn danh, máy chủ phải bật tính năng này (ferroftp --anonymous-root \
                THƯ_MỤC).\n\
                Nếu máy chủ yêu cầu FTPS, hãy bật TLS tường minh (AUTH TLS) trong máy khách.\n\
                Nếu thư mục gốc không tồn tại, quản trị viên phải tạo nó hoặc sửa đường dẫn \
                trong tệp người dùng.\n\
                Với mật khẩu đúng, người dùng đã đạt --max-sessions-per-user nhận \"530 Too many \
                sessions for this user: close one and try again.\": hãy đóng một phiên khác của \
                người dùng đó trước.",
    },
    Page {
        code: 532,
        title: "Cần tài khoản để lưu tệp",
        description:
            "Đăng nhập đã thành công, nhưng máy chủ cần một tài khoản (ACCT) trước khi cho người \
                dùng lưu tệp.",
        when: "Sau STOR, APPE hoặc STOU trên máy chủ tính phí lưu trữ theo tài khoản. ferroftp \
                không bao giờ yêu cầu tài khoản.",
        fix: "Gửi ACCT kèm tài khoản của bạn, rồi tải lên lại.",
    },
    Page {
        code: 533,
        title: "Mức bảo vệ lệnh bị từ chối vì lý do chính sách",
        description:
            "Máy chủ từ chối một lệnh vì cách nó được bảo vệ: chính sách đòi hỏi lệnh được cơ \
                chế bảo mật bảo vệ (MIC, CONF, ENC, hoặc đi trong TLS) nhưng lệnh này được gửi \
                không mã hóa, hoặc ngược lại.",
        when:
            "Trên máy chủ yêu cầu lệnh phải được bảo vệ (RFC 2228), sau một lệnh gửi đi mà không \
                có sự bảo vệ đó.",
        fix: "Dùng mức bảo vệ mà máy chủ yêu cầu: với TLS, gửi AUTH TLS trước USER và giữ kết nối \
                điều khiển được mã hóa (không gửi CCC).",
    },
    Page {
        code: 534,
        title: "Yêu cầu bị từ chối vì lý do chính sách",
        description:
            "Chính sách bảo mật của máy chủ cấm điều được yêu cầu, thường là điều gì đó liên \
                quan tới TLS. Đây là lỗi vĩnh viễn: yêu cầu lại theo cùng cách sẽ không giúp \
                được gì.",
        when: "Sau CCC khi máy chủ không cho kết nối điều khiển quay về dạng không mã hóa \
                (ferroftp: \"534 CCC refused: the control connection stays encrypted.\").\n\
                Sau USER hoặc PASS không mã hóa trên máy chủ yêu cầu FTPS, hoặc sau AUTH TLS \
                trên máy chủ cấm nó.\n\
                Sau PROT C trên máy chủ yêu cầu mã hóa kết nối dữ liệu; máy chủ khác thì trả lời \
                521 lúc truyền.",
        fix: "Tuân theo chính sách: giữ TLS và không gửi CCC; bật TLS tường minh trong máy khách \
                khi máy chủ yêu cầu; dùng PROT P khi cần mã hóa dữ liệu.\n\
                CCC chủ yếu được dùng để thiết bị NAT đọc được phản hồi PASV; hãy dùng EPSV thay \
                thế, vì nó không cần sự trợ giúp đó.",
    },
    Page {
        code: 535,
        title: "Kiểm tra bảo mật thất bại",
        description:
            "Một lệnh được bảo vệ không qua được kiểm tra bảo mật: lớp bọc MIC, CONF hoặc ENC \
                không xác minh được (sai tổng kiểm tra, thông điệp bị phát lại hoặc sai thứ tự), \
                hoặc dữ liệu bảo mật trong ADAT bị từ chối.",
        when: "Sau ADAT, MIC, CONF hoặc ENC với một cơ chế không phải TLS; TLS báo những lỗi như \
                vậy bằng cách ngắt kết nối.",
        fix: "Kết nối lại và bắt đầu lại quá trình trao đổi bảo mật.\n\
                Nếu lỗi lặp lại, hãy kiểm tra đồng hồ của cả hai máy (Kerberos từ chối đồng hồ \
                lệch), các khóa và thư viện bảo mật của máy khách.",
    },
    Page {
        code: 536,
        title: "Cơ chế không hỗ trợ mức PROT được yêu cầu",
        description:
            "Cơ chế bảo mật đang dùng không hỗ trợ mức PROT được yêu cầu. Các mức gồm C (không \
                bảo vệ), S (an toàn: chỉ toàn vẹn), E (bí mật) và P (riêng tư: toàn vẹn và bí \
                mật); TLS chỉ cung cấp C và P.",
        when: "Sau PROT S hoặc PROT E trong phiên TLS (ferroftp: \"536 Only PROT C and PROT P are \
                supported.\").",
        fix: "Gửi PROT P để mã hóa kết nối dữ liệu, hoặc PROT C để không mã hóa.",
    },
    Page {
        code: 537,
        title: "Cơ chế bảo mật không hỗ trợ mức bảo vệ lệnh",
        description:
            "Lệnh được bảo vệ ở một mức (MIC cho toàn vẹn, CONF cho bí mật, ENC cho cả hai) mà \
                cơ chế bảo mật đang dùng không cung cấp được.",
        when: "Sau MIC, CONF hoặc ENC với một cơ chế không có mức đó.",
        fix: "Bảo vệ lệnh ở mức mà cơ chế hỗ trợ, thường là MIC hoặc ENC. TLS không dùng lệnh nào \
                trong số này.",
    },
    Page {
        code: 550,
        title: "Không thực hiện; tệp không dùng được",
        description:
            "Thao tác không được thực hiện, và lặp lại y nguyên cũng không giúp được: tệp hoặc \
                thư mục không tồn tại, người dùng không có quyền truy cập, hoặc không thể thực \
                hiện thao tác đó trên nó. Nội dung phản hồi thường cho biết lý do.",
        when: "RETR, SIZE, MDTM, DELE, RNFR, CWD hoặc RMD trên một đường dẫn không tồn tại \
                (ferroftp: \"550 No such file or directory.\").\n\
                Tài khoản không có quyền cho thao tác đó, chẳng hạn STOR, DELE hoặc MKD của \
                người dùng chỉ đọc (\"550 Permission denied.\").\n\
                Một đường dẫn dẫn ra ngoài thư mục gốc của người dùng, chẳng hạn liên kết tượng \
                trưng trỏ tới nơi khác trên máy chủ: ferroftp từ chối nó.\n\
                MKD với tên đã tồn tại (\"550 File exists.\"), RMD trên thư mục chưa rỗng, DELE \
                trên thư mục (\"550 Is a directory: use RMD.\"), RETR trên thư mục, RMD hoặc \
                RNFR trên thư mục gốc.\n\
                RNTO sang một thiết bị lưu trữ khác, hoặc SIZE và MDTM trên một thư mục.\n\
                SITE CHMOD trên thư mục gốc, việc có thể khóa tài khoản vĩnh viễn (ferroftp: \
                \"550 The permissions of the root directory cannot be changed.\"), hoặc bởi người \
                dùng ẩn danh khi quản trị viên chưa cho phép (anonymous_chmod).",
        fix: "Kiểm tra đường dẫn: liệt kê thư mục bằng LIST hoặc MLSD, chú ý chữ hoa chữ thường, \
                và nhớ rằng đường dẫn tương đối bắt đầu từ thư mục hiện tại (PWD), còn / là thư \
                mục gốc của người dùng chứ không phải gốc của máy chủ.\n\
                Với lỗi quyền, quản trị viên cấp quyền trong tệp người dùng (read_only = false, \
                hoặc permissions = [\"list\", \"read\", \"write\", \"delete\", \"rename\", \
                \"mkdir\"]), và bản thân tiến trình máy chủ phải có quyền đọc ghi các tệp trên \
                đĩa.\n\
                Tệp nằm sau một liên kết tượng trưng trỏ ra ngoài thư mục gốc của người dùng thì \
                không thể được phục vụ: hãy sao chép hoặc bind-mount chúng vào thư mục gốc.\n\
                Dùng RMD cho thư mục và DELE cho tệp, và làm rỗng thư mục trước khi RMD.",
    },
    Page {
        code: 551,
        title: "Thao tác bị hủy: không biết kiểu trang",
        description:
            "Máy chủ không biết kiểu trang của một tệp có cấu trúc trang (STRU P). Cấu trúc \
                trang được tạo cho các hệ thống cũ và hầu như không còn được dùng.",
        when: "Sau một lần truyền với STRU P trên máy chủ hỗ trợ cấu trúc trang. ferroftp chỉ hỗ \
                trợ cấu trúc tệp (STRU F) nên không bao giờ gửi 551.",
        fix: "Dùng STRU F, giá trị mặc định mà máy chủ nào cũng hỗ trợ.",
    },
    Page {
        code: 552,
        title: "Thao tác tệp bị hủy; vượt quá dung lượng được cấp",
        description:
            "Việc tải lên đã vượt quá dung lượng cho phép: hạn mức hoặc giới hạn kích thước tệp \
                của người dùng hay thư mục này. Khác với 452, đây là lỗi vĩnh viễn đối với yêu \
                cầu này.",
        when: "Trong hoặc sau STOR, APPE hoặc STOU khi tệp lớn vượt quá dung lượng được cấp cho \
                người dùng hoặc kích thước tệp tối đa (ferroftp: \"552 Exceeded storage \
                allocation.\", khi hệ thống báo tệp quá lớn).",
        fix: "Tải lên một tệp nhỏ hơn, hoặc chia tệp thành nhiều phần.\n\
                Xóa bớt tệp để giải phóng một phần dung lượng được cấp, hoặc đề nghị quản trị \
                viên tăng hạn mức hay giới hạn kích thước tệp.",
    },
    Page {
        code: 553,
        title: "Không thực hiện; tên tệp không được phép",
        description: "Máy chủ không chấp nhận tên đã cho cho tệp hoặc thư mục mới.",
        when: "STOR, APPE, MKD hoặc RNTO với tên rỗng hoặc chứa byte NUL (ferroftp: \"553 File \
                name not allowed.\"), hoặc chứa ký tự mà hệ thống tệp của máy chủ không chấp \
                nhận.\n\
                STOR tới một tên đang là thư mục (ferroftp: \"553 A directory has that name.\").\n\
                Một tên bắt đầu bằng .ferroftp-upload., tiền tố ferroftp dành cho các tệp tải \
                lên tạm thời của nó.",
        fix: "Chọn một tên đơn giản: không có ký tự điều khiển, không có ký tự mà hệ thống tệp \
                của máy chủ cấm (ví dụ : * ? \" < > | trên Windows), và không quá dài.\n\
                Để tải lên vào một thư mục, hãy chuyển vào thư mục đó (CWD) hoặc đặt tên tệp sau \
                tên thư mục.",
    },
    Page {
        code: 554,
        title: "Không thực hiện: tham số REST không hợp lệ",
        description: "Vị trí tiếp tục đặt bằng REST không dùng được cho lần truyền này: \
                thường là nó nằm sau cuối tệp.",
        when: "RETR sau REST với vị trí lớn hơn kích thước tệp (tệp đã thay đổi, hoặc máy khách \
                giữ một vị trí cũ).\n\
                STOR sau REST với vị trí nằm sau cuối phần tệp đã có trên máy chủ (ferroftp từ \
                chối thay vì điền phần thiếu bằng số 0).",
        fix: "Hỏi kích thước tệp trước (SIZE) và tiếp tục từ vị trí không vượt quá kích thước \
                đó, hoặc gửi REST 0 (hoặc không gửi REST) để truyền lại cả tệp. Khi tải lên, hãy \
                tiếp tục từ kích thước mà máy chủ báo cho phần tệp đã có.",
    },
    Page {
        code: 555,
        title: "Không thực hiện: kiểu hoặc cấu trúc không khớp",
        description: "Vị trí tiếp tục được đặt ở một kiểu truyền hoặc cấu trúc này nhưng lần \
                truyền lại chạy ở kiểu khác, nên vị trí đó không chỉ cùng những byte.",
        when: "REST rồi truyền sau khi đổi TYPE (ASCII và nhị phân đếm byte khác nhau). ferroftp \
                từ chối REST ở chế độ ASCII bằng 504, nên không bao giờ gửi 555.",
        fix: "Gửi TYPE I trước REST và lệnh truyền, và chỉ tiếp tục các lần truyền nhị phân.",
    },
    Page {
        code: 631,
        title: "Phản hồi được bảo vệ tính toàn vẹn",
        description:
            "Phản hồi được cơ chế bảo mật bảo vệ tính toàn vẹn (RFC 2228): nội dung là bản mã \
                hóa base64 của phản hồi thật kèm phần kiểm tra toàn vẹn. Lớp bảo mật của máy \
                khách giải mã nó và xử lý phản hồi bên trong.",
        when: "Sau các lệnh gửi bằng MIC, trong phiên dùng một cơ chế như GSSAPI. TLS không bao \
                giờ dùng phản hồi 63z, và ferroftp không gửi chúng.",
        fix: "Không cần khắc phục: máy khách hỗ trợ cơ chế đó sẽ tự giải mã. Để đọc một phản hồi \
                như vậy trong nhật ký, hãy giải mã phần base64 bằng ngữ cảnh bảo mật của phiên.",
    },
    Page {
        code: 632,
        title: "Phản hồi được bảo vệ tính bí mật và toàn vẹn",
        description:
            "Phản hồi vừa được mã hóa vừa được bảo vệ tính toàn vẹn bởi cơ chế bảo mật (RFC \
                2228): nội dung là bản mã hóa base64 của phản hồi thật đã được bảo vệ.",
        when: "Sau các lệnh gửi bằng ENC, trong phiên dùng một cơ chế như GSSAPI. ferroftp không \
                gửi mã này.",
        fix: "Không cần khắc phục: lớp bảo mật của máy khách giải mã nó và xử lý phản hồi bên \
                trong.",
    },
    Page {
        code: 633,
        title: "Phản hồi được bảo vệ tính bí mật",
        description:
            "Phản hồi được cơ chế bảo mật mã hóa (RFC 2228) mà không có phần kiểm tra toàn vẹn \
                riêng: nội dung là bản mã hóa base64 của phản hồi thật đã được mã hóa.",
        when: "Sau các lệnh gửi bằng CONF, trong phiên dùng một cơ chế như GSSAPI. ferroftp không \
                gửi mã này.",
        fix: "Không cần khắc phục: lớp bảo mật của máy khách giải mã nó và xử lý phản hồi bên \
                trong.",
    },
];

/// Notes on pairs of codes that are often confused.
pub(super) const PAIRS: &[PairNote] = &[
    PairNote {
        a: 125,
        b: 150,
        difference:
            "Cả 125 và 150 đều báo trước một lần truyền: 125 cho biết kết nối dữ liệu đã mở sẵn, \
                150 cho biết máy chủ sắp mở hoặc sắp chấp nhận nó.",
        when_which:
            "Hầu như lần truyền nào cũng có 150 trước; 125 chỉ xuất hiện khi kết nối dữ liệu đã \
                có trước lệnh, và chỉ từ những máy chủ báo điều đó.",
    },
    PairNote {
        a: 200,
        b: 202,
        difference:
            "200 nghĩa là lệnh đã làm việc của nó và thành công; 202 nghĩa là lệnh không cần \
                thiết nên không có gì được làm, nhưng vẫn là thành công.",
        when_which:
            "Gặp 200 sau TYPE, PORT, NOOP và các lệnh thiết lập khác; gặp 202 sau ACCT hoặc ALLO \
                trên máy chủ không cần đến chúng.",
    },
    PairNote {
        a: 220,
        b: 421,
        difference:
            "220 chào một máy khách mà máy chủ sẵn sàng phục vụ; 421 từ chối hoặc kết thúc phiên \
                và đóng kết nối.",
        when_which:
            "Khi kết nối, gặp 220 nếu máy chủ còn chỗ, và 421 nếu máy chủ đã đạt giới hạn kết \
                nối hoặc đang tắt.",
    },
    PairNote {
        a: 221,
        b: 421,
        difference:
            "221 kết thúc phiên vì máy khách đã gửi QUIT; 421 kết thúc phiên vì máy chủ quyết \
                định như vậy (giới hạn, hết thời gian chờ khi rảnh, tắt máy chủ).",
        when_which: "Chỉ gặp 221 sau QUIT; 421 có thể đến bất cứ lúc nào.",
    },
    PairNote {
        a: 225,
        b: 226,
        difference:
            "225 cho biết kết nối dữ liệu đang mở nhưng không có lần truyền nào; 226 cho biết \
                một lần truyền đã xong và kết nối dữ liệu đã đóng.",
        when_which:
            "Gặp 226 khi kết thúc mọi lần truyền và sau ABOR đã dừng một lần truyền; gặp 225 sau \
                ABOR khi không có gì để hủy.",
    },
    PairNote {
        a: 226,
        b: 250,
        difference:
            "226 kết thúc một thao tác có dùng kết nối dữ liệu (truyền tệp hoặc liệt kê); 250 \
                kết thúc một thao tác tệp chỉ dùng kết nối điều khiển.",
        when_which:
            "Gặp 226 sau RETR, STOR, LIST, NLST và MLSD; gặp 250 sau CWD, DELE, RMD, RNTO và \
                MLST.",
    },
    PairNote {
        a: 227,
        b: 229,
        difference:
            "227 (PASV) cho một địa chỉ IPv4 và một cổng; 229 (EPSV) chỉ cho cổng, trên địa chỉ \
                của kết nối điều khiển.",
        when_which: "Gặp 227 sau PASV và 229 sau EPSV; nên dùng EPSV khi ở sau NAT và trên IPv6.",
    },
    PairNote {
        a: 234,
        b: 334,
        difference:
            "234 nghĩa là trao đổi bảo mật đã xong (với TLS: bắt đầu bắt tay); 334 nghĩa là cơ \
                chế đã được chấp nhận và phải gửi tiếp dữ liệu ADAT.",
        when_which:
            "Gặp 234 sau AUTH TLS; gặp 334 sau AUTH với các cơ chế dùng ADAT, chẳng hạn GSSAPI.",
    },
    PairNote {
        a: 331,
        b: 332,
        difference: "331 yêu cầu mật khẩu (PASS); 332 yêu cầu tài khoản (ACCT).",
        when_which:
            "Gặp 331 sau USER trên hầu hết máy chủ; 332 chỉ trên máy chủ tính phí theo tài khoản.",
    },
    PairNote {
        a: 425,
        b: 426,
        difference:
            "425 nghĩa là hoàn toàn không mở được kết nối dữ liệu nên không có gì được truyền; \
                426 nghĩa là kết nối đã mở rồi bị đứt hoặc bị hủy, nên có thể một phần dữ liệu \
                đã được truyền.",
        when_which:
            "Gặp 425 ngay sau lệnh truyền hoặc sau mã 150 của nó; gặp 426 giữa lúc đang truyền, \
                hoặc sau ABOR.",
    },
    PairNote {
        a: 450,
        b: 550,
        difference:
            "450 là tạm thời (tệp đang bận hoặc bị khóa) nên thử lại có thể thành công; 550 là \
                vĩnh viễn (tệp không tồn tại, không có quyền) nên phải thay đổi yêu cầu.",
        when_which:
            "Gặp 450 khi một tiến trình khác đang giữ tệp; gặp 550 khi đường dẫn sai hoặc tài \
                khoản không có quyền.",
    },
    PairNote {
        a: 452,
        b: 552,
        difference:
            "452 nghĩa là bộ lưu trữ của máy chủ đã đầy, điều này có thể thay đổi; 552 nghĩa là \
                việc tải lên vượt hạn mức của người dùng hoặc giới hạn kích thước, điều này sẽ \
                không thay đổi với yêu cầu này.",
        when_which:
            "Gặp 452 khi đĩa đầy; gặp 552 khi dung lượng được cấp cho một người dùng hoặc giới \
                hạn kích thước tệp bị vượt.",
    },
    PairNote {
        a: 500,
        b: 501,
        difference:
            "500 nghĩa là máy chủ không hiểu chính lệnh đó; 501 nghĩa là máy chủ hiểu lệnh nhưng \
                đối số bị thiếu hoặc sai.",
        when_which:
            "Gặp 500 với dòng bị hỏng hoặc quá dài; gặp 501 với lệnh đã biết nhưng có đối số sai.",
    },
    PairNote {
        a: 500,
        b: 502,
        difference:
            "500 nghĩa là không đọc được dòng đó như một lệnh; 502 nghĩa là lệnh chưa được cài \
                đặt.",
        when_which:
            "Gặp 500 với dòng quá dài hoặc không phải FTP; gặp 502 với lệnh mà máy chủ không cài \
                đặt (ferroftp cũng dùng 502 cho lệnh không biết).",
    },
    PairNote {
        a: 501,
        b: 504,
        difference:
            "501 nghĩa là đối số sai dạng hoặc bị thiếu; 504 nghĩa là đối số đúng dạng nhưng giá \
                trị của nó không được hỗ trợ.",
        when_which: "Gặp 501 với PORT 1,2,3 hoặc RETR không có tên; gặp 504 với TYPE E hoặc AUTH \
                KERBEROS_V4 trên máy chủ không hỗ trợ chúng.",
    },
    PairNote {
        a: 502,
        b: 504,
        difference:
            "502 nghĩa là lệnh hoàn toàn không được cài đặt; 504 nghĩa là lệnh có được cài đặt, \
                nhưng không với tham số đó.",
        when_which:
            "Gặp 502 với LPSV hoặc SMNT trên ferroftp; gặp 504 với MODE B hoặc STRU R, những \
                lệnh chỉ được cài đặt cho giá trị thông thường của chúng.",
    },
    PairNote {
        a: 503,
        b: 530,
        difference:
            "503 nghĩa là một lệnh đến sai thứ tự và phản hồi nêu lệnh cần gửi trước; 530 nghĩa \
                là phiên chưa đăng nhập, hoặc đăng nhập thất bại.",
        when_which:
            "Gặp 530 khi một lệnh cần đăng nhập, hoặc khi tên người dùng hay mật khẩu sai; gặp \
                503 khi chính các bước bị sai thứ tự, chẳng hạn PASS không có USER hoặc RNTO \
                không có RNFR.",
    },
    PairNote {
        a: 530,
        b: 534,
        difference:
            "530 liên quan tới việc đăng nhập: chưa đăng nhập, hoặc thông tin đăng nhập sai; 534 \
                liên quan tới chính sách bảo mật, chẳng hạn bắt buộc TLS hoặc từ chối CCC.",
        when_which:
            "Gặp 530 khi sai mật khẩu hoặc gửi lệnh trước khi đăng nhập; gặp 534 khi yêu cầu vi \
                phạm chính sách TLS của máy chủ.",
    },
    PairNote {
        a: 550,
        b: 553,
        difference:
            "550 liên quan tới một đường dẫn có sẵn: không tồn tại, không được phép, hoặc sai \
                loại mục; 553 liên quan tới chính cái tên, mà máy chủ không chấp nhận cho tệp \
                mới.",
        when_which:
            "Gặp 550 khi đọc, xóa hoặc chuyển vào một đường dẫn; gặp 553 khi tạo tệp hoặc thư \
                mục với một tên không được chấp nhận.",
    },
];
