"""Claimed control in Afghanistan — entry point: page router only.

Pages live in views/ (a folder named pages/ would put Streamlit in its legacy multipage mode).
"""
import streamlit as st

st.set_page_config(page_title="Claimed control — Afghanistan", page_icon="🗺️", layout="wide")

pages = [
    st.Page("views/map.py", title="Map", icon=":material/map:", default=True),
    st.Page("views/curate.py", title="Curate", icon=":material/edit_note:", url_path="curate"),
    st.Page("views/data.py", title="Data", icon=":material/table:", url_path="data"),
]
st.navigation(pages, position="top").run()
