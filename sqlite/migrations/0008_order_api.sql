-- The PortOne API an order was registered for: 'v1' or 'v2'. Orders
-- registered before V2 was served are V1's.
ALTER TABLE orders ADD COLUMN api TEXT NOT NULL DEFAULT 'v1';
