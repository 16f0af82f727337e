# Replaces pyinstaller-hooks-contrib's hook-thinc (build.spec passes this folder as hookspath, which wins):
# the same collection without thinc's test suites and Cython sources. The CUDA sources stay: thinc reads
# backends/_custom_kernels.cu and _murmur3.cu when it is imported, GPU or not.
from PyInstaller.utils.hooks import collect_data_files, collect_submodules

hiddenimports = collect_submodules("thinc", filter=lambda name: "tests" not in name.split("."))
datas = collect_data_files("thinc", excludes=["**/tests/**", "**/*.pyx", "**/*.pxd", "**/*.pyi"])
