"""`sluice serve` itself: configuration file, flags, and graceful shutdown."""
import subprocess

from conftest import SLUICE, Broker, run


def test_config_file_applies_and_flags_override(tmp_path):
    config = tmp_path / "sluice.yml"
    config.write_text(f"data_dir: {tmp_path / 'from-file'}\nkafka:\n  default_partitions: 3\nlog:\n  segment_bytes: 1048576\n")
    broker = Broker(tmp_path / "from-flag", "--config", str(config)).start()
    try:
        run(["kcat", "-b", broker.bootstrap, "-P", "-t", "configured"], input="x\n")
        out = run(["kcat", "-b", broker.bootstrap, "-L", "-t", "configured"]).stdout
        assert 'topic "configured" with 3 partitions' in out
    finally:
        assert broker.stop() == 0
    assert (tmp_path / "from-flag" / "configured-0").is_dir(), "--data-dir overrides data_dir"
    assert not (tmp_path / "from-file").exists()


def test_unknown_config_key_is_refused_with_its_name(tmp_path):
    config = tmp_path / "sluice.yml"
    config.write_text("kafka:\n  listen: 127.0.0.1:0\n  partitions_default: 3\n")
    done = subprocess.run([str(SLUICE), "serve", "--config", str(config)], capture_output=True, text=True, timeout=30)
    assert done.returncode != 0
    assert "kafka.partitions_default" in done.stderr


def test_shipped_config_loads(tmp_path):
    broker = Broker(tmp_path / "data", "--config", "etc/sluice.yml").start()
    assert broker.stop() == 0


def test_sigterm_closes_every_partition_cleanly(broker):
    run(["kcat", "-b", broker.bootstrap, "-P", "-t", "bye", "-X", "acks=all"], input="a\nb\n")
    assert broker.stop() == 0
    assert (broker.data_dir / "bye-0" / "clean-shutdown").exists()
    assert "commit log closed cleanly" in broker.log()
    broker.start()
    out = run(["kcat", "-b", broker.bootstrap, "-C", "-t", "bye", "-e", "-f", "%s\n"]).stdout
    assert out.split() == ["a", "b"]
    assert "recovered partition" not in broker.log()
