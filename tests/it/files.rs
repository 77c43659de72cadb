//! Getting files out: ranges and validators, zip folders, deletion, streaming
//! while downloading, and paths that try to leave the download folder.

use std::io::{Read, Seek, Write};
use std::net::TcpStream;
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::*;

/// Sends `GET <raw path>` exactly as written (reqwest would normalise `..`).
fn raw_request(base: &str, method: &str, path: &str) -> (u16, String) {
    let addr = base.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, text)
}

async fn get(server: &TestServer, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut req = server.http.get(server.url(path));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

fn header<'a>(r: &'a reqwest::Response, name: &str) -> &'a str {
    r.headers()
        .get(name)
        .map(|v| v.to_str().unwrap())
        .unwrap_or("")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn byte_ranges_validators_and_headers() {
    let dirs = Dirs::new();
    let bytes = payload(100_000, 7);
    std::fs::create_dir_all(dirs.downloads.join("movies")).unwrap();
    std::fs::write(dirs.downloads.join("movies/clip.mp4"), &bytes).unwrap();
    std::fs::write(dirs.downloads.join("empty.txt"), b"").unwrap();
    let server = TestServer::start(test_settings(&dirs)).await;
    let url = "/download/movies/clip.mp4";

    let r = get(&server, url, &[]).await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "content-type"), "video/mp4");
    assert_eq!(header(&r, "content-length"), "100000");
    assert_eq!(header(&r, "accept-ranges"), "bytes");
    assert_eq!(header(&r, "x-content-type-options"), "nosniff");
    assert!(
        header(&r, "content-encoding").is_empty(),
        "media is never compressed"
    );
    let etag = header(&r, "etag").to_owned();
    let last_modified = header(&r, "last-modified").to_owned();
    assert!(etag.starts_with('"') && !last_modified.is_empty());
    assert_eq!(r.bytes().await.unwrap().as_ref(), &bytes[..]);

    // The three forms, and ranges past the end.
    for (range, start, end) in [
        ("bytes=0-99", 0, 99),
        ("bytes=99990-", 99_990, 99_999),
        ("bytes=-10", 99_990, 99_999),
        ("bytes=50000-50000", 50_000, 50_000),
        ("bytes=99000-200000", 99_000, 99_999),
    ] {
        let r = get(&server, url, &[("range", range)]).await;
        assert_eq!(r.status(), 206, "{range}");
        assert_eq!(
            header(&r, "content-range"),
            format!("bytes {start}-{end}/100000"),
            "{range}"
        );
        assert_eq!(header(&r, "content-length"), (end - start + 1).to_string());
        assert_eq!(
            r.bytes().await.unwrap().as_ref(),
            &bytes[start..=end],
            "{range}"
        );
    }
    for range in ["bytes=100000-", "bytes=200000-300000", "bytes=-0"] {
        let r = get(&server, url, &[("range", range)]).await;
        assert_eq!(r.status(), 416, "{range}");
        assert_eq!(header(&r, "content-range"), "bytes */100000");
    }
    // An invalid or multi-range header is ignored: the whole file.
    let r = get(&server, url, &[("range", "bytes=0-1,5-6")]).await;
    assert_eq!(r.status(), 200);

    // Conditional requests.
    assert_eq!(
        get(&server, url, &[("if-none-match", &etag)])
            .await
            .status(),
        304
    );
    assert_eq!(
        get(&server, url, &[("if-none-match", "\"nope\"")])
            .await
            .status(),
        200
    );
    assert_eq!(
        get(&server, url, &[("if-modified-since", &last_modified)])
            .await
            .status(),
        304
    );
    assert_eq!(
        get(&server, url, &[("range", "bytes=0-9"), ("if-range", &etag)])
            .await
            .status(),
        206
    );
    assert_eq!(
        get(
            &server,
            url,
            &[("range", "bytes=0-9"), ("if-range", "\"old\"")]
        )
        .await
        .status(),
        200
    );
    assert_eq!(
        get(
            &server,
            url,
            &[("range", "bytes=0-9"), ("if-range", &last_modified)]
        )
        .await
        .status(),
        206
    );

    // HEAD: headers, no body.
    let r = server.http.head(server.url(url)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "content-length"), "100000");
    assert!(r.bytes().await.unwrap().is_empty());

    // A 0-byte file.
    let r = get(&server, "/download/empty.txt", &[]).await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "content-length"), "0");
    let r = get(&server, "/download/empty.txt", &[("range", "bytes=0-")]).await;
    assert_eq!(r.status(), 416);
    assert_eq!(header(&r, "content-range"), "bytes */0");

    // ?download forces a save dialog.
    let r = get(&server, &format!("{url}?download"), &[]).await;
    assert!(header(&r, "content-disposition").starts_with("attachment; filename=\"clip.mp4\""));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_cannot_run_script_in_our_origin() {
    let dirs = Dirs::new();
    std::fs::write(
        dirs.downloads.join("evil.html"),
        "<script>alert(1)</script>",
    )
    .unwrap();
    std::fs::write(
        dirs.downloads.join("evil.svg"),
        "<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
    )
    .unwrap();
    let server = TestServer::start(test_settings(&dirs)).await;
    for name in ["evil.html", "evil.svg"] {
        let r = get(&server, &format!("/download/{name}"), &[]).await;
        assert_eq!(r.status(), 200);
        assert_eq!(header(&r, "x-content-type-options"), "nosniff");
        assert_eq!(header(&r, "content-security-policy"), "sandbox", "{name}");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_outside_the_download_folder_is_reachable() {
    let tmp = tempfile::tempdir().unwrap();
    let downloads = tmp.path().join("downloads");
    let sibling = tmp.path().join("downloads-other");
    std::fs::create_dir_all(downloads.join("ok")).unwrap();
    std::fs::create_dir_all(&sibling).unwrap();
    std::fs::write(sibling.join("secret.txt"), "secret").unwrap();
    std::fs::write(downloads.join("ok/file.txt"), "fine").unwrap();
    std::os::unix::fs::symlink(&sibling, downloads.join("escape")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", downloads.join("passwd")).unwrap();
    let dirs = Dirs::new();
    let mut cfg = test_settings(&dirs);
    cfg.download_dir = downloads.clone();
    let server = TestServer::start(cfg).await;

    assert_eq!(
        raw_request(&server.base, "GET", "/download/ok/file.txt").0,
        200
    );
    for path in [
        "/download/../downloads-other/secret.txt",
        "/download/%2e%2e/downloads-other/secret.txt",
        "/download/%2e%2e%2fdownloads-other%2fsecret.txt",
        "/download/ok/%2e%2e/%2e%2e/downloads-other/secret.txt",
        "/download/%252e%252e/downloads-other/secret.txt",
        "/download/..%5cdownloads-other%5csecret.txt",
        "/download/ok%5c..%5c..%5cdownloads-other%5csecret.txt",
        "/download//etc/passwd",
        "/download/%2fetc%2fpasswd",
        "/download/ok/file.txt%00.jpg",
        "/download/escape/secret.txt",
        "/download/passwd",
        "/download/../../../../etc/passwd",
    ] {
        for method in ["GET", "DELETE"] {
            if method == "DELETE" && path == "/download/passwd" {
                continue; // deleting a link removes the link: checked below
            }
            let (status, text) = raw_request(&server.base, method, path);
            assert!((400..500).contains(&status), "{method} {path}: {status}");
            assert!(
                !text.contains("secret") || !text.contains("\r\n\r\nsecret"),
                "{path} leaked the file"
            );
            assert!(!text.contains("root:"), "{path} leaked /etc/passwd");
            assert!(
                !text.contains(tmp.path().to_str().unwrap()),
                "{path}: message shows a server path: {text}"
            );
        }
    }
    assert_eq!(
        std::fs::read_to_string(sibling.join("secret.txt")).unwrap(),
        "secret"
    );

    // The download folder itself cannot be deleted, nor listed outside.
    let (status, _) = raw_request(&server.base, "DELETE", "/download/");
    assert!(status == 403 || status == 404 || status == 405, "{status}");
    assert!(downloads.join("ok/file.txt").exists());
    let r = get(&server, "/api/v1/downloads?path=../downloads-other", &[]).await;
    assert_eq!(r.status(), 400);
    let r = get(&server, "/api/v1/downloads?path=escape", &[]).await;
    assert_eq!(r.status(), 403);

    // Deleting a symbolic link removes the link, never what it points to, whether
    // that is outside the download folder or a folder inside it.
    std::os::unix::fs::symlink(downloads.join("ok"), downloads.join("inside-link")).unwrap();
    for link in ["passwd", "escape", "inside-link"] {
        let (status, text) = raw_request(&server.base, "DELETE", &format!("/download/{link}"));
        assert_eq!(status, 204, "DELETE {link}: {text}");
        assert!(
            downloads.join(link).symlink_metadata().is_err(),
            "{link} is still there"
        );
    }
    assert!(std::path::Path::new("/etc/passwd").exists());
    assert_eq!(
        std::fs::read_to_string(sibling.join("secret.txt")).unwrap(),
        "secret"
    );
    assert_eq!(
        std::fs::read_to_string(downloads.join("ok/file.txt")).unwrap(),
        "fine"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_files_folders_and_torrent_data() {
    let dirs = Dirs::new();
    std::fs::create_dir_all(dirs.downloads.join("loose/sub")).unwrap();
    std::fs::write(dirs.downloads.join("loose/sub/a.txt"), "a").unwrap();
    std::fs::write(dirs.downloads.join("single.txt"), "s").unwrap();
    let data = make_payload(&dirs.data, "tor", &[("x.bin", 300_001), ("y.bin", 11)]).await;
    let seeder = Seeder::start(&data, "127.0.0.51", None, &[]).await;
    let server = TestServer::start(test_settings(&dirs)).await;
    server.add_magnet(&seeder.magnet(&data)).await;
    server
        .wait_state(&data.info_hash, "seeding", Duration::from_secs(60))
        .await;

    let del = |path: &str| server.http.delete(server.url(path)).send();
    assert_eq!(del("/download/single.txt").await.unwrap().status(), 204);
    assert!(!dirs.downloads.join("single.txt").exists());
    assert_eq!(del("/download/loose").await.unwrap().status(), 204);
    assert!(!dirs.downloads.join("loose").exists());
    assert_eq!(del("/download/nope").await.unwrap().status(), 404);

    // Part of a torrent: refused, nothing changes.
    let r = del("/download/tor/x.bin").await.unwrap();
    assert_eq!(r.status(), 409);
    let e: Value = r.json().await.unwrap();
    assert!(
        e["error"].as_str().unwrap().contains("part of the torrent"),
        "{e}"
    );
    assert!(dirs.downloads.join("tor/x.bin").exists());
    // The whole torrent folder: the torrent goes with its data.
    assert_eq!(del("/download/tor").await.unwrap().status(), 204);
    assert!(!dirs.downloads.join("tor").exists());
    let (status, _) = server
        .get_json(&format!("/api/v1/torrents/{}", data.info_hash))
        .await;
    assert_eq!(status, 404);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tree_is_bounded_and_marks_downloading_torrents() {
    let dirs = Dirs::new();
    let many = dirs.downloads.join("many");
    std::fs::create_dir_all(&many).unwrap();
    for i in 0..30_000 {
        std::fs::write(many.join(format!("f{i:05}")), b"").unwrap();
    }
    std::fs::create_dir_all(dirs.downloads.join("a/b")).unwrap();
    std::fs::write(dirs.downloads.join("a/b/c.txt"), "hello").unwrap();
    let data = make_payload(
        &dirs.data,
        "slowtor",
        &[("big.bin", 4_000_001), ("skip.bin", 300_001)],
    )
    .await;
    let seeder = Seeder::start(&data, "127.0.0.52", Some(256 * 1024), &[]).await;
    let server = TestServer::start(test_settings(&dirs)).await;
    server
        .post_json(
            "/api/v1/torrents",
            json!({ "magnet": seeder.magnet(&data), "files": [data.index_of("big.bin")] }),
        )
        .await;
    // Its folder may appear before the engine lists its files.
    server
        .wait_torrent(
            &data.info_hash,
            "downloading with its files",
            Duration::from_secs(30),
            |t| t["state"] == "downloading" && t["files"].as_array().is_some_and(|f| !f.is_empty()),
        )
        .await;
    wait_for("the torrent's folder", Duration::from_secs(30), || async {
        dirs.downloads.join("slowtor").exists()
    })
    .await;

    let (status, listing) = server.get_json("/api/v1/downloads").await;
    assert_eq!(status, 200);
    assert_eq!(
        listing["truncated"], true,
        "30,000 entries exceed the default limit"
    );
    assert_eq!(listing["count"], 10_000);
    let top: Vec<&str> = listing["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        top,
        ["a", "many", "slowtor"],
        "a folder's own entries come first"
    );
    let a = &listing["entries"][0];
    assert_eq!(a["isDir"], true);
    assert_eq!(a["size"], 5);
    assert_eq!(a["children"][0]["children"][0]["path"], "a/b/c.txt");
    let tor = &listing["entries"][2];
    assert_eq!(tor["downloading"], true, "{tor}");
    assert_eq!(listing["entries"][0]["downloading"], false);

    let (_, sub) = server.get_json("/api/v1/downloads?path=slowtor").await;
    let names: Vec<&str> = sub["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"big.bin"));
    assert!(
        !names.contains(&"skip.bin"),
        "an unselected file left empty by the engine is hidden: {names:?}"
    );
    let (_, small) = server.get_json("/api/v1/downloads?path=many&limit=5").await;
    assert_eq!(small["entries"].as_array().unwrap().len(), 5);
    let (status, _) = server.get_json("/api/v1/downloads?path=a/b/c.txt").await;
    assert_eq!(status, 400);
    server.stop().await;
}

/// Checks a zip with `unzip -t` and Python's zipfile; returns the entry names.
fn check_zip(path: &std::path::Path) -> Vec<String> {
    let out = std::process::Command::new("unzip")
        .arg("-t")
        .arg(path)
        .output()
        .expect("unzip is installed by scripts/test.sh");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("No errors detected"),
        "unzip -t: {text}"
    );
    let py = std::process::Command::new("python3")
        .args(["-c", "import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nbad = z.testzip()\nassert bad is None, bad\nprint('\\n'.join(z.namelist()))"])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        py.status.success(),
        "python zipfile: {}",
        String::from_utf8_lossy(&py.stderr)
    );
    String::from_utf8_lossy(&py.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn folders_download_as_zip_with_known_length_and_ranges() {
    let dirs = Dirs::new();
    let folder = dirs.downloads.join("Album");
    std::fs::create_dir_all(folder.join("disc 1/extras")).unwrap();
    std::fs::create_dir_all(folder.join("empty")).unwrap();
    std::fs::write(folder.join("cover.jpg"), payload(70_001, 3)).unwrap();
    std::fs::write(
        folder.join("disc 1/01 – Ünïcode.flac"),
        payload(1_000_003, 4),
    )
    .unwrap();
    std::fs::write(folder.join("disc 1/extras/notes.txt"), b"liner notes").unwrap();
    std::fs::write(folder.join("zero.bin"), b"").unwrap();
    let server = TestServer::start(test_settings(&dirs)).await;

    let r = get(&server, "/download/Album?zip", &[]).await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "content-type"), "application/zip");
    assert!(header(&r, "content-disposition").contains("Album.zip"));
    let length: usize = header(&r, "content-length").parse().unwrap();
    let etag = header(&r, "etag").to_owned();
    let whole = r.bytes().await.unwrap();
    assert_eq!(whole.len(), length, "Content-Length equals the bytes sent");
    let zip_path = dirs.data.join("Album.zip");
    std::fs::write(&zip_path, &whole).unwrap();
    let mut names = check_zip(&zip_path);
    names.sort();
    assert_eq!(
        names,
        [
            "Album/",
            "Album/cover.jpg",
            "Album/disc 1/",
            "Album/disc 1/01 – Ünïcode.flac",
            "Album/disc 1/extras/",
            "Album/disc 1/extras/notes.txt",
            "Album/empty/",
            "Album/zero.bin"
        ]
    );

    // Resume: the archive fetched in pieces equals the whole, including a
    // piece starting inside a file and one inside the central directory.
    let mut joined = Vec::new();
    let cuts = [0, 100, 70_200, 900_000, length - 300, length - 10, length];
    for w in cuts.windows(2) {
        let r = get(
            &server,
            "/download/Album",
            &[
                ("range", &format!("bytes={}-{}", w[0], w[1] - 1)),
                ("if-range", &etag),
            ],
        )
        .await;
        assert_eq!(r.status(), 206);
        joined.extend_from_slice(&r.bytes().await.unwrap());
    }
    assert_eq!(sha256(&joined), sha256(&whole));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_zip_over_4_gib_uses_zip64() {
    let dirs = Dirs::new();
    let folder = dirs.downloads.join("huge");
    std::fs::create_dir_all(folder.join("inner")).unwrap();
    // A sparse file: 4 GiB + 1 MiB of zeros that take no disk space.
    let f = std::fs::File::create(folder.join("inner/sparse.img")).unwrap();
    f.set_len((4u64 << 30) + (1 << 20)).unwrap();
    std::fs::write(folder.join("small.txt"), b"after the big one").unwrap();
    let server = TestServer::start(test_settings(&dirs)).await;

    let mut r = get(&server, "/download/huge", &[]).await;
    assert_eq!(r.status(), 200);
    let length: u64 = header(&r, "content-length").parse().unwrap();
    assert!(length > 4 << 30);
    let zip_path = dirs.data.join("huge.zip");
    // Runs of zeros (the sparse file's data) are skipped, leaving holes, so the 4 GiB
    // archive takes almost no disk space; the tools read the holes back as zeros.
    let mut out = std::io::BufWriter::new(std::fs::File::create(&zip_path).unwrap());
    let mut sent = 0u64;
    while let Some(chunk) = r.chunk().await.unwrap() {
        sent += chunk.len() as u64;
        if chunk.iter().all(|b| *b == 0) {
            out.seek(std::io::SeekFrom::Current(chunk.len() as i64))
                .unwrap();
        } else {
            out.write_all(&chunk).unwrap();
        }
    }
    out.flush().unwrap();
    out.get_ref().set_len(sent).unwrap();
    drop(out);
    assert_eq!(sent, length, "Content-Length equals the bytes sent");
    let names = check_zip(&zip_path);
    assert!(
        names.contains(&"huge/inner/sparse.img".to_owned()),
        "{names:?}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn streaming_reads_the_end_of_a_file_before_it_is_downloaded() {
    let dirs = Dirs::new();
    let size = 24 * 1024 * 1024 + 5;
    let data = make_payload(
        &dirs.data,
        "film",
        &[("movie.mkv", size), ("sample.mp3", 300_007)],
    )
    .await;
    // 1 MiB/s: the whole file would take about 24 s.
    let seeder = Seeder::start(&data, "127.0.0.53", Some(1024 * 1024), &[]).await;
    let server = TestServer::start(test_settings(&dirs)).await;
    let (_, t) = server.add_magnet(&seeder.magnet(&data)).await;
    let hash = t["infoHash"].as_str().unwrap().to_owned();
    wait_for("metadata", Duration::from_secs(30), || async {
        !server.torrent(&hash).await["files"]
            .as_array()
            .unwrap()
            .is_empty()
    })
    .await;
    let index = data.index_of("movie.mkv");
    let url = format!("/api/v1/torrents/{hash}/files/{index}/stream");

    let last_mib = format!("bytes={}-", size - 1024 * 1024);
    let r = get(&server, &url, &[("range", &last_mib)]).await;
    assert_eq!(r.status(), 206);
    assert_eq!(
        header(&r, "content-range"),
        format!("bytes {}-{}/{size}", size - 1024 * 1024, size - 1)
    );
    let got = r.bytes().await.unwrap();
    let progress = server.torrent(&hash).await;
    let original = std::fs::read(data.root.join("movie.mkv")).unwrap();
    assert_eq!(
        sha256(&got),
        sha256(&original[size - 1024 * 1024..]),
        "the bytes are right"
    );
    let file_done = file(&progress, "film/movie.mkv")["completed"]
        .as_u64()
        .unwrap();
    assert!(
        file_done < size as u64 / 2,
        "the last MiB arrived when only {file_done} of {size} bytes were downloaded: the engine fetched it first"
    );

    // The unfinished file itself, and its folder as a zip, are refused rather than
    // sent full of zeros; the refusal points to the stream.
    let r = get(&server, "/download/film/movie.mkv", &[]).await;
    assert_eq!(r.status(), 409);
    let error = r.json::<serde_json::Value>().await.unwrap()["error"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(error.contains("still downloading"), "{error}");
    assert!(error.contains(url.trim_start_matches('/')), "{error}");
    assert_eq!(get(&server, "/download/film", &[]).await.status(), 409);

    // A playlist for players.
    let r = get(
        &server,
        &format!("/api/v1/torrents/{hash}/playlist.m3u"),
        &[],
    )
    .await;
    assert_eq!(r.status(), 200);
    let m3u = r.text().await.unwrap();
    assert!(m3u.starts_with("#EXTM3U\n"));
    // Absolute URLs, which players can open: from the request's own origin...
    let stream_path = format!("/api/v1/torrents/{hash}/files/{index}/stream");
    assert!(
        m3u.contains(&format!(
            "#EXTINF:-1,movie.mkv\n{}\n",
            server.url(&stream_path)
        )),
        "{m3u}"
    );
    assert!(m3u.contains("sample.mp3"));
    // ...or from where a proxy serves this server.
    let r = get(
        &server,
        &format!("/api/v1/torrents/{hash}/playlist.m3u?base=https://box.example/torrents/"),
        &[],
    )
    .await;
    let m3u = r.text().await.unwrap();
    assert!(
        m3u.contains(&format!("\nhttps://box.example/torrents{stream_path}\n")),
        "{m3u}"
    );
    let r = get(
        &server,
        &format!("/api/v1/torrents/{hash}/playlist.m3u?base=javascript:alert(1)"),
        &[],
    )
    .await;
    assert_eq!(r.status(), 400);

    // Bad stream requests.
    let r = get(
        &server,
        &format!("/api/v1/torrents/{hash}/files/99/stream"),
        &[],
    )
    .await;
    assert_eq!(r.status(), 400);
    let r = get(
        &server,
        &format!("/api/v1/torrents/{hash}/files/x/stream"),
        &[],
    )
    .await;
    assert_eq!(r.status(), 400);
    let r = get(
        &server,
        &format!("/api/v1/torrents/{}/files/0/stream", "ab".repeat(20)),
        &[],
    )
    .await;
    assert_eq!(r.status(), 404);
    server.stop().await;
}
