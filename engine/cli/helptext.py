"""What ``dondoc --help`` says of each command, in Vietnamese (the commands' docstrings stay
their contract for developers, in English). Keyed by the command's path; a test checks every
command has its line."""

from __future__ import annotations

COMMAND_HELP: dict[str, str] = {
    "validate": "Kiểm tra tệp quy trình và các mẫu văn bản hẹn giờ của chúng: mỗi lỗi một dòng "
    "`tệp:dòng:cột: nội dung`. Có danh bạ (--directory, hoặc danh bạ lưu trong --db) thì cảnh "
    "báo người mà quy trình nêu tên nhưng danh bạ không có.",
    "schema": "In JSON Schema của tệp quy trình (cho trình soạn thảo).",
    "graph": "In sơ đồ trạng thái của một quy trình (Mermaid, hoặc Graphviz DOT).",
    "deadline": "Đọc một cụm từ thời hạn tiếng Việt: in một đối tượng JSON (mã thoát 1 nếu "
    "không đọc được).",
    "stats": "Bảng tổng hợp tình hình thực hiện theo đơn vị (hoặc người thực hiện, quy trình).",
    "serve": "API HTTP, bảng điều khiển và (trừ khi --no-worker) bộ lập lịch, trong một tiến "
    "trình (cần cài thêm phần mở rộng server của dondoc).",
    "render": "Lập văn bản cho một nhiệm vụ (hoặc báo cáo tình hình): Word, PDF, HTML, văn bản "
    "thường; báo cáo cả Excel.",
    "outbox": "Các thông báo trong hộp thư đi (gửi lỗi là thư không gửi được).",
    "extract": "Đề xuất các nhiệm vụ mà một văn bản kết luận giao (việc gì, ai làm, hạn nào); "
    "không lưu gì.",
    "import": "Đọc văn bản kết luận, xác nhận từng đề xuất (hoặc --yes) rồi tạo các nhiệm vụ "
    "dưới một nhiệm vụ cha cho văn bản.",
    "evaluate": "Chấm điểm cá nhân (hoặc đơn vị) theo Nghị định 335/2025 từ các nhiệm vụ đã "
    "theo dõi.",
    "demo": "Câu chuyện mẫu: kết luận của Sở TT&TT Đắk Nông do bộ lập lịch thật chạy trên đồng "
    "hồ giả, 18/03 → 15/07/2024.",
    "worker": "Chạy bộ lập lịch: chạy hẹn giờ đến hạn, tạo nhiệm vụ định kỳ, gửi thông báo.",
    "token": "Mã truy cập (bearer token) cho API HTTP và bảng điều khiển.",
    "token create": "Cấp một mã truy cập (chỉ in một lần; chỉ lưu bản băm). Vai trò: admin, "
    "assigner, reviewer…",
    "token revoke": "Thu hồi mọi mã truy cập của một người.",
    "db": "Lược đồ cơ sở dữ liệu (các bản nâng cấp Alembic).",
    "db upgrade": "Tạo hoặc nâng cấp lược đồ lên phiên bản dondoc này cần.",
    "db backup": "Sao lưu cơ sở dữ liệu khi đang chạy (SQLite: sao lưu trực tuyến; PostgreSQL: "
    "pg_dump). Phục hồi: dondoc db restore TỆP --db URL.",
    "db restore": "Phục hồi bản sao lưu vào một cơ sở dữ liệu trống rồi kiểm tra: dondoc audit "
    "verify --db URL.",
    "status": "dondoc có chạy tốt không: cơ sở dữ liệu, lược đồ, quy trình, nhịp của các tiến "
    "trình worker, độ chậm của nhắc việc và thông báo. Mã thoát 0 khi ổn, 1 kèm mỗi vấn đề một dòng.",
    "db current": "In phiên bản lược đồ của cơ sở dữ liệu và phiên bản dondoc này cần.",
    "directives": "Tạo, liệt kê, xem và thực hiện thao tác trên nhiệm vụ.",
    "directives create": "Tạo một nhiệm vụ (cần quyền tạo: vai trò assigner hoặc admin trong "
    "danh bạ).",
    "directives list": "Liệt kê nhiệm vụ, từng trang (--limit mỗi trang, --page N).",
    "directives show": "Xem một nhiệm vụ và lịch sử của nó.",
    "directives fire": "Thực hiện một thao tác của quy trình trên nhiệm vụ, với tư cách một người.",
    "directives delegate": "Giao việc tiếp cho chuyên viên: mỗi --child một nhiệm vụ con.",
    "directives children": "Các nhiệm vụ con và phần phối hợp của một nhiệm vụ, kèm tiến độ "
    "tổng hợp.",
    "directives reassign": "Chuyển xử lý nhiệm vụ cho người hoặc đơn vị khác, kèm lý do.",
    "directives claim": "Nhận một nhiệm vụ từ hàng chờ của đơn vị mình.",
    "directives assign": "Giao một nhiệm vụ đang chờ trong hàng chờ của đơn vị cho một thành "
    "viên (trưởng đơn vị).",
    "directives queue": "Các nhiệm vụ giao cho đơn vị mà chưa ai nhận.",
    "directives units": "Theo từng đơn vị: số việc chủ trì và số việc phối hợp.",
    "directives explain": "Yêu cầu giải trình đối với nhiệm vụ quá hạn.",
    "directives explain request": "Yêu cầu giải trình một nhiệm vụ quá hạn.",
    "directives explain answer": "Trả lời yêu cầu giải trình đang chờ.",
    "directives explain assess": "Đánh giá nội dung giải trình (và gia hạn nếu cần).",
    "directives explain list": "Các giải trình (ví dụ mọi lần chậm được coi là khách quan: "
    "--verdict objective).",
    "audit": "Nhật ký kiểm toán.",
    "audit verify": "Tính lại chuỗi băm, diễn lại sự kiện của từng nhiệm vụ so với dữ liệu, và "
    "(khi kiểm tra toàn bộ) đối chiếu với điểm ký gần nhất; mã thoát 1 nếu bị sửa.",
    "audit checkpoint": "Ký toàn bộ sự kiện đến 5 phút trước bằng DONDOC_AUDIT_KEY và in điểm "
    "ký (nên lưu một bản ngoài cơ sở dữ liệu).",
    "workflows": "Các quy trình đã nạp.",
    "workflows list": "Liệt kê các quy trình đã nạp.",
    "workflows publish": "Công bố một định nghĩa quy trình thành phiên bản mới lưu trong cơ sở dữ "
    "liệu (kiểm tra như validate; cần quyền quản trị: --as quản trị viên hoặc --as-admin); nhiệm "
    "vụ mới dùng phiên bản này, nhiệm vụ đang chạy giữ phiên bản cũ.",
    "reports": "Báo cáo định kỳ (Nghị định 09/2019).",
    "reports schedule": "Lập lịch một báo cáo định kỳ: bộ lập lịch lập báo cáo (Word, Excel) vào "
    "ngày báo cáo của mỗi kỳ và gửi cho người nhận qua hộp thư đi (cần quyền quản trị).",
    "reports list": "Các báo cáo đã lập lịch và kỳ tới của chúng.",
    "reports runs": "Các báo cáo đã lập (kỳ, lúc lập, số liệu); --save THƯ_MỤC ghi các tệp.",
    "people": "Danh bạ người dùng lưu cùng cơ sở dữ liệu.",
    "people load": "Lưu danh bạ người dùng này cùng cơ sở dữ liệu (thay danh bạ cũ).",
    "people list": "Danh bạ người dùng lưu cùng cơ sở dữ liệu.",
    "office": "Hồ sơ cơ quan lưu cùng cơ sở dữ liệu.",
    "office load": "Lưu hồ sơ cơ quan này cùng cơ sở dữ liệu (tiêu đề và chữ ký của mọi văn bản).",
    "office show": "Hồ sơ cơ quan lưu cùng cơ sở dữ liệu, dạng JSON.",
    "instances": "Các nhiệm vụ đang chạy của một quy trình (chuyển sang phiên bản mới).",
    "instances migrate": "Chuyển các nhiệm vụ đang chạy từ một phiên bản quy trình sang phiên "
    "bản khác.",
}
