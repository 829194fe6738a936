"""Builds the Rust library (../Cargo.toml) with cargo and ships it inside the package.

The library is loaded with ctypes and uses no Python API, so one wheel serves every Python 3:
it is tagged py3-none-<platform>, not with one interpreter's ABI.
"""

from setuptools import setup
from setuptools.command.bdist_wheel import bdist_wheel
from setuptools_rust import Binding, RustExtension


class PlatformWheel(bdist_wheel):
    def get_tag(self):
        _, _, platform = super().get_tag()
        return "py3", "none", platform


setup(
    rust_extensions=[
        RustExtension(
            "softmargin._libsoftmargin",
            path="../Cargo.toml",
            binding=Binding.NoBinding,
        )
    ],
    cmdclass={"bdist_wheel": PlatformWheel},
)
