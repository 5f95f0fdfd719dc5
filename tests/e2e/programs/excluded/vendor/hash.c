int vendor_hash(int x) { return x * 31; }
