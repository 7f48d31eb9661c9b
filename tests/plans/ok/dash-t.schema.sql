--
-- TOC entry 237 (class 1259 OID 17134)
-- Name: Order Items; Type: TABLE; Schema: Weird Schema; Owner: postgres
--

CREATE TABLE "Weird Schema"."Order Items" (
    "Order ID" integer NOT NULL
);


ALTER TABLE "Weird Schema"."Order Items" OWNER TO postgres;
