module github.com/lungo-ml/lungo/kernels/asm/_bf16gen

go 1.26
