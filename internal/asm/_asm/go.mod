module github.com/lungo-ml/lungo/internal/asm/_asm

go 1.26
