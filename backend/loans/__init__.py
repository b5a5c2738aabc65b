"""信易贷 loans with partner banks and 信易批 fast-track marking (seed 五(三))."""
