"""Evidence uploads (证明材料): PDF, JPG and PNG files checked from their content."""
