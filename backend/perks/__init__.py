"""信易+ perks (守信激励, seed 四(一)、五(三)): a catalogue of 信易贷 / 信易批 / 信易租 / 信易游 / 信易行
benefits with eligibility rules kept as data, eligibility from the stored evaluation, and one-time
signed vouchers redeemed by merchants. Every claim and redemption passes compare and intercept."""
