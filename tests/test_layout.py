"""The project layout promised by the design document."""

from catalog import shipped_data


def test_shipped_data_is_found_beside_the_project() -> None:
    assert shipped_data.eth_capture().is_file()
    assert shipped_data.btc_archive_hour().is_file()
    assert shipped_data.signing_vectors().is_file()


def test_layout_folders_exist() -> None:
    root = shipped_data.PROJECT_ROOT
    for name in ("adapters/hyperliquid", "hlsim", "mm_strategy", "screener", "catalog", "configs", "tests", "bench"):
        assert (root / name).is_dir(), name
