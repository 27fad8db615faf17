"""A synthetic archive of N filed letters, written straight into Naskah's own schema.

``Archive(home, connect(home))`` creates the schema exactly as Naskah does (tables, indexes, the
FTS5 index and its triggers, forward migrations); the rows then go in with ``executemany`` of
the same INSERT as ``archive.store.insert_letter`` (column list ``store.LETTER_FIELDS``), 20,000
per transaction, so the FTS5 index is filled by Naskah's own triggers. No blobs are written
(the queries measured never read them); ``sha256`` and ``size`` are made up.

What a row looks like (deterministic, seeded):

* 8 offices, each with its own unit, so ``nomor`` (``{kka}/{urut:05d}/{unit}/{year}``) is unique;
  dates run from 2015 to 2026 in filing order; 30 KKA codes, a few of them frequent;
* ``hal`` from 40 subjects; a complaint register number; a complainant from ~2,500 names
  (15 % anonymous); ``signers``: the office's 3 paraf + TTE (JSON, as Naskah stores it);
* ``complaint_text``: a subject and 25-60 words; ``text``: the letter's boilerplate (letterhead,
  salutation, closing: the same ~60 words in every letter of an office) and a body of 90-150
  words. Words come from a 12,000-word vocabulary (200 common Indonesian words plus made-up
  ones) with Zipf-like frequencies, so there are broad words (in most letters), and each letter
  also names two specific things (a street, a business) from a pool sized so that each such word
  is in about 20 letters, whatever N is: the selective searches.

The database is cached under ``bench/.cache/archive-<N>-<key>/`` where the key is a hash of the
schema (the tables of ``store.SCHEMA``, ``LETTER_COLUMNS``, ``search.INDEX_DDL``) and of this
generator's version: a schema change builds a new one. Plain indexes are not part of the key:
``Archive()`` creates a missing one when the bench opens the database, as it does for any
existing archive. Nothing else is done to the database (no ANALYZE, no FTS ``optimize``): it is
what Naskah's own filing would leave.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import sqlite3
import time
from datetime import date, timedelta
from pathlib import Path

GENERATOR_VERSION = 4
BATCH = 20_000
CACHE = Path(__file__).resolve().parent / ".cache"

COMMON = """dan yang di ke dari untuk dengan pada ini itu dalam tidak akan telah sudah oleh sebagai
juga atau karena bahwa kami saudara dinas pelayanan perizinan izin usaha pengaduan masyarakat
permohonan tanggal surat nomor hal lampiran kepada yth kota kabupaten kecamatan kelurahan jalan
bidang kepala sekretaris petugas loket antrian waktu hari kerja proses verifikasi lokasi tim
lapangan hasil pemeriksaan sesuai ketentuan peraturan standar upah lembur pekerja perusahaan
pemberi bangunan reklame trotoar pajak retribusi biaya pungutan tarif berkas dokumen persyaratan
sistem daring aplikasi akun data informasi tindak lanjut koordinasi klarifikasi pembinaan sanksi
teguran rekomendasi penertiban pengawasan pengendalian penanaman modal terpadu satu pintu tenaga
kabar jawaban tanggapan keluhan saran masukan kepuasan survei indeks mutu kinerja target laporan
bulan tahun minggu segera mungkin paling lambat sejak sampai hingga antara setelah sebelum
disampaikan diterima ditindaklanjuti diproses diterbitkan diperiksa dipanggil diberikan
dilakukan dijadwalkan ditetapkan dicabut dibatalkan diperpanjang dialihkan diverifikasi
warga pelapor pengadu pemohon pemilik pengusaha pedagang sopir ojek toko warung bengkel
pabrik gudang rumah makan hotel klinik apotek sekolah pasar terminal parkir jembatan drainase
sampah banjir jalan rusak lampu air listrik tanah sengketa batas sertifikat""".split()
SUBJECTS = ["Izin usaha belum terbit", "Antrian layanan terlalu lama", "Pungutan liar di loket", "Upah di bawah UMK",
            "Lembur tidak dibayar", "Reklame tanpa izin", "Bangunan melanggar sempadan", "Petugas tidak ramah",
            "Persyaratan izin tidak jelas", "Sistem OSS tidak dapat diakses", "Parkir liar di depan toko",
            "Drainase tersumbat", "Lampu jalan padam", "Sampah menumpuk di pasar", "Sengketa batas tanah",
            "Izin gangguan lingkungan", "PHK sepihak", "BPJS tidak didaftarkan", "Tarif retribusi naik",
            "Sertifikat laik fungsi", "Jam layanan tidak sesuai", "Berkas hilang di loket", "Kebisingan pabrik",
            "Limbah bengkel", "Pedagang kaki lima", "Jalan rusak berat", "Banjir di permukiman",
            "Perpanjangan izin ditolak", "Pelayanan daring lambat", "Informasi tarif tidak tersedia",
            "Pegawai meminta imbalan", "Antrian nomor habis", "Izin reklame kedaluwarsa", "Upah lembur dipotong",
            "Kontrak kerja tidak diberikan", "Keselamatan kerja diabaikan", "THR tidak dibayar",
            "Izin bangunan terlambat", "Survei kepuasan tidak ada", "Aduan tidak ditanggapi"]
KKA = ["000.8.3.4", "000.8.3.4", "000.8.3.4", "000.8.3.4", "500.16.1", "500.16.1", "500.16.2", "500.15.3", "100.3.2",
       "100.3.4", "800.1.2", "800.1.6", "600.2.1", "600.3.4", "500.2.1", "500.8.1", "000.1.2.1", "000.2.3",
       "000.5.2", "000.6.1", "000.7.2", "000.9.1", "300.1.4", "400.5.1", "400.14.2", "700.1.2.4", "900.1.1",
       "100.2.1", "200.1.2", "500.4.1"]
FIRST = ["Budi", "Siti", "Agus", "Dewi", "Rina", "Hendra", "Maria", "Yusuf", "Ketut", "Made", "Putu", "Wayan", "Ahmad",
         "Nur", "Sri", "Eko", "Joko", "Lina", "Andi", "Rudi", "Fitri", "Indah", "Rizki", "Fajar", "Bayu", "Dian", "Tono",
         "Wati", "Asep", "Ujang", "Iwan", "Yanti", "Dedi", "Rahmat", "Hasan", "Lukas", "Yohanes", "Stefanus", "Lim",
         "Teguh", "Bambang", "Sutrisno", "Slamet", "Ratna", "Ayu", "Intan", "Gilang", "Reza", "Taufik", "Irfan"]
LAST = ["Santoso", "Aminah", "Salim", "Lestari", "Wulandari", "Wijaya", "Ulfa", "Hamdani", "Arsana", "Saputra",
        "Hidayat", "Nasution", "Siregar", "Harahap", "Simanjuntak", "Pratama", "Kurniawan", "Setiawan", "Gunawan",
        "Susanto", "Halim", "Tanjung", "Lubis", "Manurung", "Sitompul", "Rahman", "Syahputra", "Permana", "Firmansyah",
        "Nugroho", "Purnomo", "Wibowo", "Utomo", "Handayani", "Rahayu", "Marpaung", "Tambunan", "Sinaga", "Panjaitan",
        "Hutapea", "Pangaribuan", "Daulay", "Batubara", "Ginting", "Sembiring", "Tarigan", "Barus", "Kaban", "Bangun",
        "Munthe"]
SYLLABLES = ["ba", "be", "bi", "bo", "bu", "da", "de", "di", "do", "du", "ga", "gi", "gu", "ha", "ja", "ju", "ka", "ke",
             "ki", "ko", "ku", "la", "le", "li", "lo", "lu", "ma", "me", "mi", "mo", "mu", "na", "ne", "ni", "no", "nu",
             "pa", "pe", "pi", "po", "pu", "ra", "re", "ri", "ro", "ru", "sa", "se", "si", "so", "su", "ta", "te", "ti",
             "to", "tu", "wa", "wi", "ya", "yu"]
UNITS = ["DPMPTSP", "DISNAKER", "DPUPR", "DISHUB", "DLH", "SATPOLPP", "DISPERINDAG", "BAPENDA"]
BOILERPLATE = ("PEMERINTAH KOTA {city} DINAS {unit} Jalan Jenderal Sudirman Nomor 1 Telepon Laman Surel "
               "Yth. Sdr. {name} di tempat Dengan hormat menindaklanjuti pengaduan Saudara yang kami terima "
               "melalui kanal pengaduan dengan ini kami sampaikan hal sebagai berikut "
               "Demikian kami sampaikan atas perhatian dan kerja sama Saudara kami ucapkan terima kasih "
               "Kepala Dinas NIP Dokumen ini telah ditandatangani secara elektronik menggunakan sertifikat "
               "elektronik yang diterbitkan oleh Balai Besar Sertifikasi Elektronik BSrE BSSN")
CITIES = ["PANGKALPINANG", "PADANG", "DHARMASRAYA", "TENGGARONG", "BUKITTINGGI", "SOLOK", "PARIAMAN", "SAMARINDA"]
VOCABULARY = 12_000
RARE_PER_LETTER = 2
RARE_DF = 20


def vocabulary(seed: int = 7) -> list[str]:
    """COMMON first (the most frequent), then made-up words, no duplicates; deterministic."""
    rnd = random.Random(seed)
    words = list(dict.fromkeys(COMMON))
    seen = set(words)
    while len(words) < VOCABULARY:
        w = "".join(rnd.choice(SYLLABLES) for _ in range(rnd.choice((3, 3, 4, 4, 5)))) + rnd.choice(("", "n", "ng", "k", "t", "s"))
        if w not in seen:
            seen.add(w)
            words.append(w)
    return words


def rare_words(n: int) -> list[str]:
    """Specific words (a street, a business, a place): each letter has RARE_PER_LETTER of them,
    drawn from ``n * RARE_PER_LETTER / RARE_DF`` words, so each is in about RARE_DF letters."""
    rnd = random.Random(n + 11)
    out: set[str] = set()
    want = max(50, n * RARE_PER_LETTER // RARE_DF)
    while len(out) < want:
        out.add("".join(rnd.choice(SYLLABLES) for _ in range(4)) + rnd.choice(("wati", "jaya", "sari", "rejo", "mulyo")))
    return sorted(out)


def cache_key() -> str:
    from archive import search, store

    # plain indexes are left out: Naskah creates a missing one when it opens the database
    tables = [s for s in store.SCHEMA.split(";") if "CREATE INDEX" not in s.upper()]
    h = hashlib.sha256()
    for part in (*tables, json.dumps(store.LETTER_COLUMNS, sort_keys=True), *search.INDEX_DDL, str(GENERATOR_VERSION)):
        h.update(part.encode())
    return h.hexdigest()[:12]


def home_for(n: int) -> Path:
    return CACHE / f"archive-{n}-{cache_key()}"


def build(n: int, *, say=print) -> Path:
    """The cached home with ``n`` letters, built if missing; returns the NASKAH_HOME."""
    from archive.db import connect
    from archive.store import LETTER_FIELDS, Archive

    home = home_for(n)
    if (home / "complete").is_file():
        return home
    for stale in CACHE.glob(f"archive-{n}-*"):
        shutil.rmtree(stale, ignore_errors=True)
    home.mkdir(parents=True)
    conn = connect(home)
    Archive(home, conn)
    conn.execute("PRAGMA synchronous=OFF")  # a throw-away cache: no fsync per batch while building
    insert = f"INSERT INTO letters ({', '.join(LETTER_FIELDS)}) VALUES ({', '.join('?' * len(LETTER_FIELDS))})"
    started = time.perf_counter()
    rows = _rows(n)
    done = 0
    while done < n:
        batch = [next(rows) for _ in range(min(BATCH, n - done))]
        conn.execute("BEGIN")
        conn.executemany(insert, batch)
        conn.execute("COMMIT")
        done += len(batch)
        if done % 100_000 == 0 or done == n:
            say(f"    {done:,} letters ({time.perf_counter() - started:.0f} s)")
    # no ANALYZE, no FTS 'optimize': the database stays as Naskah's own filing would leave it
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    (home / "complete").write_text(f"{n} letters in {time.perf_counter() - started:.0f} s\n")
    return home


def _rows(n: int):
    from archive.store import LETTER_FIELDS

    rnd = random.Random(20261121)
    words = vocabulary()
    # Zipf-like weights: word k has weight 1 / (k + 8)
    cum = []
    total = 0.0
    for k in range(len(words)):
        total += 1.0 / (k + 8)
        cum.append(total)
    names = [f"{f} {l}" for f in FIRST for l in LAST]
    rare = rare_words(n)
    start, days = date(2015, 1, 2), (date(2026, 12, 31) - date(2015, 1, 2)).days
    counters: dict[tuple[int, int], int] = {}
    signers = [json.dumps([
        {"kind": kind, "official": oid, "name": f"{rnd.choice(FIRST)} {rnd.choice(LAST)}",
         "nip": f"19{rnd.randint(60, 99)}{rnd.randint(1, 12):02d}{rnd.randint(1, 28):02d} 20{rnd.randint(0, 20):02d}"
                f"{rnd.randint(1, 12):02d} {rnd.randint(1, 2)} {rnd.randint(1, 20):03d}", "jabatan": jab}
        for kind, oid, jab in (("paraf", "subkoor", "Sub Koordinator"), ("paraf", "kabid", "Kepala Bidang"),
                               ("paraf", "sekretaris", "Sekretaris"), ("tte", "kadis", "Kepala Dinas"))]) for _ in UNITS]
    for i in range(n):
        office = i % len(UNITS)
        day = start + timedelta(days=min(days, int(days * i / n)))
        key = (office, day.year)
        counters[key] = counters.get(key, 0) + 1
        urut = counters[key]
        kka = KKA[rnd.randrange(len(KKA))]
        unit = UNITS[office]
        subject = SUBJECTS[rnd.randrange(len(SUBJECTS))]
        anonymous = rnd.random() < 0.15
        name = "" if anonymous else names[rnd.randrange(len(names))]
        body = " ".join(rnd.choices(words, cum_weights=cum, k=rnd.randint(90, 150)))
        body += " " + " ".join(rare[rnd.randrange(len(rare))] for _ in range(RARE_PER_LETTER))
        complaint_words = " ".join(rnd.choices(words, cum_weights=cum, k=rnd.randint(25, 60)))
        text = BOILERPLATE.format(city=CITIES[office], unit=unit, name=name or "Pengadu") + " " + body
        row = {
            "office": f"office-{office}", "nomor": f"{kka}/{urut:05d}/{unit}/{day.year}", "tanggal": day.isoformat(),
            "kka": kka, "hal": f"Jawaban Pengaduan {subject}", "sifat": "Biasa",
            "complaint": f"{urut:05d}/PGD/{unit}/{day.year}", "doc_key": "surat_jawaban",
            "sha256": f"{rnd.getrandbits(256):064x}", "size": 90_000 + rnd.randrange(40_000),
            "verification_ref": f"{rnd.getrandbits(128):032x}", "signers": signers[office],
            "filed_at": f"{day.isoformat()}T10:00:00", "complainant": name,
            "complaint_text": f"{subject}\n{complaint_words}", "status": "filed", "text": text,
        }
        yield tuple(row[k] for k in LETTER_FIELDS)


def open_readonly(home: Path) -> sqlite3.Connection:
    """A plain connection for the hand-written queries (the peer): no Naskah code involved."""
    conn = sqlite3.connect(f"file:{home / 'naskah.db'}?mode=ro", uri=True, check_same_thread=False)
    return conn
